"""Writers on SQLite queue on the file lock of core/sqlite/base.py instead of SQLite's busy sleeps."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from civicgrid.worktime.models import CalendarDay

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the write lock is SQLite's"),
]


def _other_connection():
    """A second connection to the same database, as another worker would hold."""
    return connections.create_connection("default")


def test_a_second_writer_waits_for_the_first_and_then_writes():
    other = _other_connection()
    started, finished = threading.Event(), {}

    def second_writer():
        started.set()
        t0 = time.monotonic()
        with transaction.atomic(using="default"):
            pass  # just take the lock and give it back
        finished["waited"] = time.monotonic() - t0

    try:
        other.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)  # takes the lock
        assert other._write_lock_held
        thread = threading.Thread(target=lambda: (second_writer(), connections.close_all()))
        thread.start()
        started.wait(5)
        time.sleep(0.2)
        assert "waited" not in finished  # still queued behind `other`
        other.commit()
        other.set_autocommit(True)
        assert not other._write_lock_held
        thread.join(5)
        assert 0.15 < finished["waited"] < 2
    finally:
        other.close()


def test_a_writer_gives_up_after_the_timeout_and_changes_nothing():
    other = _other_connection()
    try:
        other.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        connection.settings_dict["OPTIONS"]["timeout"] = 0.3
        before = CalendarDay.objects.count()
        with pytest.raises(OperationalError, match="database is locked"):
            with transaction.atomic():
                CalendarDay.objects.create(date="2030-01-01", is_workday=False, note="x")
        assert not connection._write_lock_held
    finally:
        connection.settings_dict["OPTIONS"]["timeout"] = 20
        other.rollback()
        other.set_autocommit(True)
        other.close()
    assert CalendarDay.objects.count() == before


def test_the_lock_is_given_back_on_rollback():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert connection._write_lock_held
        1 / 0  # noqa: B018
    assert not connection._write_lock_held
    with transaction.atomic():
        assert connection._write_lock_held
    assert not connection._write_lock_held


def test_the_main_thread_waits_in_a_blocking_lock_and_starts_when_it_comes_free():
    """In a worker's main thread the wait is a blocking flock bounded by an interval timer: it ends
    as the holder commits (not at the next poll), and leaves no timer or handler behind."""
    import signal

    holding, released = threading.Event(), {}

    def hold_then_commit():
        other = _other_connection()
        try:
            other.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)  # takes the lock
            holding.set()
            time.sleep(0.2)
            released["at"] = time.monotonic()
            other.commit()
            other.set_autocommit(True)
        finally:
            other.close()

    thread = threading.Thread(target=hold_then_commit)
    thread.start()
    try:
        assert holding.wait(5)
        with transaction.atomic():
            got = time.monotonic()
            assert connection._write_lock_held
        thread.join(5)
        assert 0 <= got - released["at"] < 0.05
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    finally:
        thread.join(5)


def test_checkpoints_happen_after_the_lock_is_given_back(monkeypatch):
    """SQLite's own checkpoint would run inside a COMMIT, with every other writer waiting; here the
    connection checkpoints every CHECKPOINT_EVERY transactions after giving the lock back."""
    from civicgrid.core.sqlite import base

    monkeypatch.setattr(base, "CHECKPOINT_EVERY", 3)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == base.AUTOCHECKPOINT_PAGES
    checkpoints = []
    real = connection._checkpoint_now_and_then

    def spy():
        checkpoints.append(connection._write_lock_held)
        real()

    monkeypatch.setattr(connection, "_checkpoint_now_and_then", spy)
    for day in range(1, 7):
        with transaction.atomic():
            CalendarDay.objects.create(date=f"2031-01-0{day}", is_workday=False, note="x")
    assert checkpoints == [False] * 6  # after every transaction, never while holding the lock
    assert connection._commits_since_checkpoint == 0  # the third and the sixth checkpointed
