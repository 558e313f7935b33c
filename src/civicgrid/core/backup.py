"""Backups that restore: the database, consistent while the server writes, and the photo files.

A backup is a directory `civicgrid-backup-YYYYmmddTHHMMSSZ/` holding

    database.sqlite3 | database.pgdump   SQLite's online backup API / `pg_dump --format=custom`
    files/media/…, files/private/…       MEDIA_ROOT and the private storage (originals of photos)
    manifest.json                        version, vendor, migration state, created_at, and every
                                         file above with its size and SHA-256

It is written under a `.partial` name and renamed once the manifest is on disk: a directory
without a manifest is an interrupted backup, never mistaken for a whole one.

Consistency while the server writes: the database is copied first, as one snapshot (SQLite's
backup API in a single step holds one read transaction; in WAL mode the writers go on meanwhile;
pg_dump reads in one repeatable-read transaction). The files are copied after it. A photo's files
are written before the transaction that records them commits, so every photo the snapshot knows
has its files complete on disk by the time they are copied; files of reports committed later are
copied too, harmless extras that no row names.

Why not `cp` of the SQLite file: in WAL mode a commit goes to `<db>-wal`, and reaches the main file
only at a checkpoint. A copy of the main file alone misses every transaction still in the WAL; a
copy of both, taken one after the other while the server writes, pairs a WAL with a main file of
another moment (or a WAL cut in the middle of a frame), and SQLite then drops or mis-applies what
does not match — acknowledged reports lost, or a case without its events.

Restore checks every checksum first and refuses a corrupt or incomplete backup before it changes
anything; it refuses to overwrite a database or a folder that is not empty unless forced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.db import OperationalError, connection

import civicgrid

FORMAT = "civicgrid-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PGDUMP_FILE = "database.pgdump"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


# --- where things are -------------------------------------------------------------------------------


def file_roots() -> dict[str, Path]:
    """The folders of files a backup holds, by name: public media and private originals."""
    return {
        "media": Path(settings.MEDIA_ROOT),
        "private": Path(storages["private"].location),
    }


def vendor() -> str:
    return connection.vendor


def _pg_env() -> dict[str, str]:
    """libpq's environment for the configured database (pg_dump and pg_restore read it)."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = db["NAME"]
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client tools (apt-get install postgresql-client)"
        )
    return path


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, env=_pg_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


# --- copying with checksums -------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashed(source: Path, target: Path) -> tuple[int, str]:
    """Copy a file and return (size, SHA-256) of exactly the bytes written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    shutil.copystat(source, target)
    return size, digest.hexdigest()


def _entry(root: Path, path: Path) -> dict:
    return {"path": path.relative_to(root).as_posix(), "size": path.stat().st_size, "sha256": sha256_of(path)}


# --- backup ---------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    vendor: str
    files: int
    bytes: int


def _sqlite_snapshot(target: Path) -> None:
    """One consistent copy of the live database, whatever the server writes meanwhile."""
    # mode=rw: read through an ordinary connection (WAL readers need the -shm), never create a file.
    source = sqlite3.connect(f"file:{connection.settings_dict['NAME']}?mode=rw", uri=True, timeout=60)
    dest = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, inside one read transaction (a snapshot).
        source.backup(dest, pages=-1)
        # A self-contained file: no -wal beside it (the restored database goes back to WAL on first use).
        dest.execute("PRAGMA journal_mode=DELETE")
        if dest.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("the copy of the SQLite database does not pass PRAGMA quick_check")
    finally:
        dest.close()
        source.close()


def _migrations_of_sqlite(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT app, name FROM django_migrations ORDER BY app, id").fetchall()
    conn.close()
    return _group(rows)


def _migrations_of_live() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, id")
        return _group(cursor.fetchall())


def _group(rows) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for app, name in rows:
        out.setdefault(app, []).append(name)
    return out


def backup_create(*, to: Path) -> BackupResult:
    """Write a backup directory into `to` and return where it is."""
    kind = vendor()
    if kind not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of a {kind} database are not supported")
    to = Path(to).resolve()
    to.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.now(dt.UTC)
    name = f"civicgrid-backup-{created:%Y%m%dT%H%M%S%fZ}"
    final, partial = to / name, to / f"{name}.partial"
    partial.mkdir()
    try:
        entries = []
        if kind == "sqlite":
            _sqlite_snapshot(partial / SQLITE_FILE)
            migrations = _migrations_of_sqlite(partial / SQLITE_FILE)
            entries.append(_entry(partial, partial / SQLITE_FILE))
        else:
            migrations = _migrations_of_live()
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial / PGDUMP_FILE)])
            entries.append(_entry(partial, partial / PGDUMP_FILE))
        # The files after the database: every photo the snapshot names is complete on disk by now.
        for label, root in file_roots().items():
            if not root.is_dir():
                continue
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                target = partial / "files" / label / path.relative_to(root)
                size, digest = _copy_hashed(path, target)
                entries.append(
                    {"path": target.relative_to(partial).as_posix(), "size": size, "sha256": digest}
                )
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "civicgrid_version": civicgrid.__version__,
            "database": {"vendor": kind, "file": SQLITE_FILE if kind == "sqlite" else PGDUMP_FILE},
            "migrations": migrations,
            "created_at": created.isoformat(),
            "files": entries,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupResult(final, kind, len(entries), sum(e["size"] for e in entries))


# --- restore --------------------------------------------------------------------------------------


def backup_verify(path: Path) -> dict:
    """The manifest of a whole, uncorrupted backup; BackupError naming the first problem otherwise."""
    path = Path(path)
    if not path.is_dir():
        raise BackupError(f"{path} is not a backup directory")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        hint = " (an interrupted backup)" if path.name.endswith(".partial") else ""
        raise BackupError(f"{path} has no {MANIFEST}: not a complete civicgrid backup{hint}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"{manifest_path} is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path} is not a civicgrid backup manifest")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"backup format version {manifest.get('version')!r} is not supported (this is {VERSION})"
        )
    database = manifest.get("database") or {}
    if database.get("vendor") not in ("sqlite", "postgresql"):
        raise BackupError(f"the manifest names no known database vendor: {database.get('vendor')!r}")
    entries = manifest.get("files") or []
    if database.get("file") not in {e.get("path") for e in entries}:
        raise BackupError("the manifest does not list the database file")
    for entry in entries:
        rel = Path(entry["path"])
        if rel.is_absolute() or ".." in rel.parts:
            raise BackupError(f"the manifest names a path outside the backup: {entry['path']}")
        file = path / rel
        if not file.is_file():
            raise BackupError(f"incomplete backup: {entry['path']} is missing")
        if file.stat().st_size != entry["size"]:
            raise BackupError(
                f"corrupt backup: {entry['path']} has {file.stat().st_size} bytes, the manifest says {entry['size']}"
            )
        if sha256_of(file) != entry["sha256"]:
            raise BackupError(f"corrupt backup: the SHA-256 of {entry['path']} does not match the manifest")
    return manifest


def _nonempty_dir(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def _sqlite_has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        found = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    conn.close()
    return found > 0


def _pg_has_tables() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
            return cursor.fetchone()[0] > 0
    except OperationalError as error:
        name = connection.settings_dict["NAME"]
        raise BackupError(
            f"cannot connect to the PostgreSQL database {name!r} ({str(error).strip().splitlines()[-1]}): "
            f"create it first (createdb {name}) or set DATABASE_URL"
        ) from None


@dataclass
class RestoreResult:
    vendor: str
    database: str
    files: int
    migrations: dict


def backup_restore(*, source: Path, into: Path | None = None, force: bool = False) -> RestoreResult:
    """Restore a verified backup into the configured database and folders (or under `into`)."""
    source = Path(source).resolve()
    manifest = backup_verify(source)
    kind = manifest["database"]["vendor"]
    if kind != vendor():
        raise BackupError(
            f"the backup holds a {kind} database but the configured database is {vendor()}: "
            "set DATABASE_URL (PostgreSQL) or unset it (SQLite) to match"
        )
    if into is not None:
        into = Path(into).resolve()
        roots = {"media": into / "media", "private": into / "private"}
        sqlite_target = into / Path(connection.settings_dict["NAME"]).name
    else:
        roots = file_roots()
        sqlite_target = Path(connection.settings_dict["NAME"])
    # Everything is checked before anything is written.
    occupied = []
    if kind == "sqlite" and _sqlite_has_tables(sqlite_target):
        occupied.append(f"the database {sqlite_target}")
    if kind == "postgresql" and _pg_has_tables():
        occupied.append(f"the PostgreSQL database {connection.settings_dict['NAME']!r}")
    occupied += [f"the folder {root}" for root in roots.values() if _nonempty_dir(root)]
    if occupied and not force:
        raise BackupError(
            "refusing to overwrite " + ", ".join(occupied) + ": restore into an empty place "
            "(--into DIR, another database) or pass --force to replace them"
        )
    if kind == "sqlite":
        _restore_sqlite(source / SQLITE_FILE, sqlite_target)
        database = str(sqlite_target)
    else:
        _restore_postgresql(source / PGDUMP_FILE, clean=bool(occupied))
        database = connection.settings_dict["NAME"]
    files = 0
    for entry in manifest["files"]:
        parts = Path(entry["path"]).parts
        if parts[0] != "files" or parts[1] not in roots:
            continue
        target = roots[parts[1]].joinpath(*parts[2:])
        _copy_hashed(source / entry["path"], target)
        files += 1
    return RestoreResult(kind, database, files, manifest["migrations"])


def _restore_sqlite(file: Path, target: Path) -> None:
    """Put the database file in place: copied beside the target, then renamed over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".restoring")
    shutil.copyfile(file, temporary)
    # A -wal or -shm left by the database being replaced belongs to it, not to the restored file.
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(temporary, target)


def _restore_postgresql(file: Path, *, clean: bool) -> None:
    connection.close()
    if clean:
        # --force on a database with tables: start from an empty public schema.
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        connection.close()
    name = connection.settings_dict["NAME"]
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            name,
            str(file),
        ]
    )
