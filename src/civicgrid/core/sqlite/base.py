"""Django's SQLite backend, with writers queued on a file lock instead of SQLite's busy sleeps.

Every transaction starts with BEGIN IMMEDIATE (settings.py), so writers never deadlock — but a
writer that finds the database taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15 …
ms between attempts whatever happens meanwhile. Under load (two gunicorn workers taking turns
writing reports) those sleeps, not the work, set the throughput and the p99 latency.

Here each connection first takes an exclusive `flock` on `<database>.writelock` and only then
sends BEGIN IMMEDIATE; it lets go at commit or rollback. A waiting writer looks again every
≤ 1 ms (and gives up with "database is locked" after the connection's timeout, like SQLite), so
it starts within a millisecond of the lock coming free. In a process's main thread (a gunicorn worker)
the wait is a blocking `flock` instead, which the kernel ends the moment the holder lets go; an
interval timer (SIGALRM) bounds it by the same timeout. The lock belongs to the open file, so the
kernel frees it when a process dies (a killed server never leaves it held), and two connections of
one process (threads) queue on it like two processes. Statements outside a transaction (autocommit) do not take it;
they still wait in SQLite's busy handler, as before. In-memory databases have no file to lock.

Checkpoints (copying the write-ahead log into the database file) happen after the lock is given
back, every CHECKPOINT_EVERY transactions of a connection, as PASSIVE checkpoints that do not stop
other writers. SQLite's own automatic checkpoint runs inside a COMMIT, i.e. while every other writer
waits; it is kept only as a backstop (AUTOCHECKPOINT_PAGES) should the connections fall behind.

A connection creates a missing database file only where that is meant: the `civicgrid` command
turns MAY_CREATE off for every command but migrate, demo and restore (__main__.py), so a command run
with the wrong settings stops with "no civicgrid database at …" instead of working on a new, empty
database. The test runner and library use leave it on.

Django's `flush` (and the test runner between transactional tests) empties every table with
DELETE, which the append-only tables' triggers refuse (core/immutable.py); here the DELETEs run
under a FLUSH permit, the one deliberate way to empty them.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

from django.db import OperationalError
from django.db.backends.sqlite3 import base, operations

from civicgrid.core import immutable

# Waits between two looks at a taken lock (seconds): short at first, then every millisecond.
RETRY_WAITS = (0.0001, 0.0002, 0.0005)
RETRY_WAIT_MAX = 0.001
CHECKPOINT_EVERY = 50  # transactions of one connection between two of its checkpoints
AUTOCHECKPOINT_PAGES = 20_000  # SQLite's checkpoint inside a commit, if the WAL grows past ~80 MB
MAY_CREATE = True  # whether a connection may create a missing database file (see above)


def missing_database(path: Path) -> str | None:
    """None if `path` is a migrated civicgrid database, else what is wrong and what to do."""
    if not path.is_file():
        why = "the file does not exist"
    else:
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                found = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
                ).fetchone()
            conn.close()
        except sqlite3.DatabaseError as error:
            return f"{path} is not a SQLite database ({error})"
        if found:
            return None
        why = "the file has no tables"
    return (
        f"no civicgrid database at {path} ({why}): run `civicgrid migrate` to create it, "
        "or set SQLITE_PATH / CIVICGRID_HOME to where the database is"
    )


class _LockTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _LockTimeout


def _wait_blocking(fd: int, timeout: float) -> bool:
    """Wait for the lock in a blocking flock, bounded by an interval timer; False if that cannot be used.

    Signals reach only the main thread, and the timer must not be someone else's (a test runner's
    timeout, say): anywhere else the caller polls.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)
        or signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0)
    ):
        return False
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _LockTimeout:
        # The timer may fire just after flock returned: then the lock is ours already (taking it
        # again on the same open file succeeds), and it is also ours if it has just come free.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OperationalError(
                "database is locked (another writer held the write lock longer than the timeout)"
            ) from None
    finally:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    return True


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        emptied = [t for t in tables if t != immutable.PERMIT_TABLE]
        sql = super().sql_flush(style, emptied, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return immutable.flush_sql(sql, tables, self.quote_name)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _write_lock_fd: int | None = None
    _write_lock_held = False
    _commits_since_checkpoint = 0

    def get_new_connection(self, conn_params):
        if not self.is_in_memory_db():
            path = Path(self.settings_dict["NAME"])
            if not path.exists():
                if not MAY_CREATE:
                    raise OperationalError(missing_database(path))
                path.parent.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no var/ yet
        conn = super().get_new_connection(conn_params)
        if self._write_lock_path() is not None:
            conn.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        self._commits_since_checkpoint = 0
        return conn

    def _checkpoint_now_and_then(self) -> None:
        """After a transaction, outside the write lock: now and then a PASSIVE checkpoint."""
        self._commits_since_checkpoint += 1
        if self._commits_since_checkpoint < CHECKPOINT_EVERY or self.connection is None:
            return
        self._commits_since_checkpoint = 0
        try:
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.OperationalError:  # another connection is checkpointing; the next one catches up
            pass

    def _write_lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}.writelock"

    def _write_lock_acquire(self) -> None:
        if self._write_lock_fd is None:
            path = self._write_lock_path()
            if path is None:
                return
            self._write_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        try:
            fcntl.flock(self._write_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _wait_blocking(self._write_lock_fd, timeout):
                self._write_lock_poll(timeout)
        self._write_lock_held = True

    def _write_lock_poll(self, timeout: float) -> None:
        deadline = None
        attempt = 0
        while True:
            try:
                fcntl.flock(self._write_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + timeout
                elif now > deadline:
                    raise OperationalError(
                        "database is locked (another writer held the write lock longer than the timeout)"
                    ) from None
                time.sleep(RETRY_WAITS[attempt] if attempt < len(RETRY_WAITS) else RETRY_WAIT_MAX)
                attempt += 1

    def _write_lock_release(self) -> None:
        if self._write_lock_held:
            self._write_lock_held = False
            fcntl.flock(self._write_lock_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self):
        self._write_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._write_lock_release()
            raise

    def _commit(self):
        wrote = self._write_lock_held
        try:
            result = super()._commit()
        finally:
            self._write_lock_release()
        if wrote:
            self._checkpoint_now_and_then()
        return result

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._write_lock_release()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._write_lock_release()
            if self._write_lock_fd is not None:
                os.close(self._write_lock_fd)
                self._write_lock_fd = None
