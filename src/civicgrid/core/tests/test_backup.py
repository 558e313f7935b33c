"""`civicgrid backup` while reports come in, and `civicgrid restore` into a fresh place: nothing
acknowledged before the backup is lost, no case is half there, every photo file is back.

The backup runs in this process (the test database); the restore runs as the real command in a
subprocess against a fresh SQLite folder / a fresh PostgreSQL database, which is then read directly.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.db import connection, connections

import civicgrid
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import CasePhoto
from civicgrid.cases.photos import process_photo
from civicgrid.cases.tests.helpers import NORTH_1, east_of, jpeg_bytes, north_of

WRITERS = 3
PHOTO_EVERY = 3  # every third report carries a photo


@pytest.fixture
def storage_dirs(settings, tmp_path, monkeypatch):
    """Media and private originals in temporary folders, as the backup reads them from the settings."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": str(tmp_path / "private")}},
    }
    private = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    monkeypatch.setattr(CasePhoto._meta.get_field("original"), "storage", private)
    return tmp_path


def command_env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    src = str(Path(civicgrid.__file__).resolve().parent.parent)  # this checkout's code, from any directory
    env.update(PYTHONPATH=src, CIVICGRID_HOME=str(tmp_path / "home"), CIVICGRID_LOG_LEVEL="WARNING", **extra)
    return env


def run_command(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "civicgrid", *args], env=env, capture_output=True, text=True, timeout=300
    )


class Load:
    """Writer threads submitting reports through the intake service until told to stop."""

    def __init__(self, reporter):
        self.reporter = reporter
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged: dict[str, tuple[float, int]] = {}  # key → (when, photos)
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self.write, args=(n,)) for n in range(WRITERS)]

    def write(self, n: int) -> None:
        i = 0
        try:
            while not self.stop.is_set():
                i += 1
                key = f"backup-{n}-{i:05d}"
                photos = []
                if i % PHOTO_EVERY == 0:
                    photos = [process_photo(jpeg_bytes(colour=(n * 70 % 255, i % 255, (i // 255) % 255)))]
                point = east_of(north_of(NORTH_1, (i % 40) * 3), n * 20)
                submission = Submission(
                    description=f"备份期间上报 {key}", lat=point[0], lon=point[1], photos=photos
                )
                case_submit(reporter=self.reporter, submission=submission, idempotency_key=key)
                with self.lock:
                    self.acknowledged[key] = (time.monotonic(), len(photos))
        except Exception as error:  # reported by the test
            self.errors.append(repr(error))
        finally:
            connections.close_all()

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def backup_under_load(reporter, to: Path) -> tuple[Path, dict[str, int]]:
    """Back up while the writers write; the reports acknowledged before it started, with their photos."""
    with Load(reporter) as load:
        while load.count() < 12 and not load.errors:
            time.sleep(0.02)
        started = time.monotonic()
        call_command("backup", to=str(to), stdout=io.StringIO())
        while load.count() < 30 and not load.errors:  # and the load goes on after it
            time.sleep(0.02)
    assert load.errors == []
    before = {key: photos for key, (when, photos) in load.acknowledged.items() if when < started}
    assert len(before) >= 12
    [backup] = list(to.iterdir())
    return backup, before


def check_restored(rows, photo_rows, before: dict[str, int], files: Path) -> None:
    """rows: (key, number, has REPORT event); photo_rows: (key, original, public, thumbnail, sha256)."""
    restored = {key: (number, has_event) for key, number, has_event in rows}
    assert sorted(set(before) - set(restored)) == []  # nothing acknowledged before the backup is lost
    assert [k for k, (number, has_event) in restored.items() if not number or not has_event] == []
    photos_of: dict[str, int] = {}
    for key, original, public, thumbnail, sha256 in photo_rows:
        photos_of[key] = photos_of.get(key, 0) + 1
        assert hashlib.sha256((files / "private" / original).read_bytes()).hexdigest() == sha256
        assert (files / "media" / public).is_file() and (files / "media" / thumbnail).is_file()
    assert {k: photos_of.get(k, 0) for k in before} == before  # every photo of every report, no more
    assert sum(before.values()) > 0


ROWS_SQL = (
    "SELECT c.idempotency_key, c.number, r.case_id IS NOT NULL FROM cases_case c "
    "LEFT JOIN (SELECT DISTINCT case_id FROM cases_caseevent WHERE action = 'report') r ON r.case_id = c.id"
)
PHOTOS_SQL = (
    "SELECT c.idempotency_key, p.original, p.public, p.thumbnail, p.sha256 "
    "FROM cases_casephoto p JOIN cases_case c ON c.id = p.case_id"
)


@pytest.mark.django_db(transaction=True)
def test_backup_under_write_load_restores_every_acknowledged_report_and_photo(routed_world, storage_dirs):
    tmp = storage_dirs
    backup, before = backup_under_load(routed_world.citizen, tmp / "backups")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert "cases" in manifest["migrations"] and manifest["created_at"]
    assert all(len(e["sha256"]) == 64 and e["size"] > 0 for e in manifest["files"])

    restored = tmp / "restored"
    if connection.vendor == "sqlite":
        done = run_command(
            "restore", str(backup), "--into", str(restored), env=command_env(tmp, DATABASE_URL="")
        )
        assert done.returncode == 0, done.stderr
        db = restored / "civicgrid.sqlite3"  # the configured database file name, under --into
        with sqlite3.connect(db) as conn:
            rows, photo_rows = conn.execute(ROWS_SQL).fetchall(), conn.execute(PHOTOS_SQL).fetchall()
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    else:
        import psycopg

        name = f"civicgrid_restore_{os.getpid()}"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
            cursor.execute(f"CREATE DATABASE {name}")
        try:
            url = urlsplit(os.environ["DATABASE_URL"])
            env = command_env(tmp, DATABASE_URL=urlunsplit(url._replace(path=f"/{name}")))
            done = run_command("restore", str(backup), "--into", str(restored), env=env)
            assert done.returncode == 0, done.stderr
            params = {
                k: v
                for k, v in connection.get_connection_params().items()
                if k in ("host", "port", "user", "password")
            }
            with psycopg.connect(dbname=name, **params) as conn:
                rows, photo_rows = conn.execute(ROWS_SQL).fetchall(), conn.execute(PHOTOS_SQL).fetchall()
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    check_restored(rows, photo_rows, before, restored)


# --- a backup that cannot be trusted, or a place that is not empty: refused, nothing changed -----------


@pytest.fixture
def small_backup(db, storage_dirs) -> Path:
    photo = storage_dirs / "media" / "cases" / "photos" / "a.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(jpeg_bytes())
    call_command("backup", to=str(storage_dirs / "backups"), stdout=io.StringIO())
    [backup] = list((storage_dirs / "backups").iterdir())
    return backup


def restore(backup: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("restore", str(backup), *args, stdout=out)
    return out.getvalue()


def test_a_corrupt_backup_is_refused_before_anything_is_written(small_backup, tmp_path):
    database = small_backup / json.loads((small_backup / "manifest.json").read_text())["database"]["file"]
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database.write_bytes(bytes(data))
    with pytest.raises(CommandError, match=f"corrupt backup: the SHA-256 of {database.name} does not match"):
        restore(small_backup, "--into", str(tmp_path / "fresh"))
    assert not (tmp_path / "fresh").exists()


def test_an_incomplete_backup_is_refused(small_backup, tmp_path):
    (small_backup / "files" / "media" / "cases" / "photos" / "a.jpg").unlink()
    with pytest.raises(CommandError, match="incomplete backup: files/media/cases/photos/a.jpg is missing"):
        restore(small_backup, "--into", str(tmp_path / "fresh"))
    (small_backup / "manifest.json").unlink()
    with pytest.raises(CommandError, match="has no manifest.json: not a complete civicgrid backup"):
        restore(small_backup, "--into", str(tmp_path / "fresh"))
    assert not (tmp_path / "fresh").exists()


def test_a_database_with_tables_is_not_overwritten_unless_forced(small_backup, storage_dirs):
    # The configured database (the test database, with its tables) and the media folder are taken.
    with pytest.raises(CommandError, match="refusing to overwrite the (PostgreSQL )?database .* --force"):
        restore(small_backup)
    assert (storage_dirs / "media" / "cases" / "photos" / "a.jpg").read_bytes() == jpeg_bytes()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="--force into a folder holds the SQLite file")
def test_force_replaces_an_old_sqlite_database_under_into(small_backup, tmp_path):
    target = tmp_path / "fresh"
    restore(small_backup, "--into", str(target))
    with sqlite3.connect(target / Path(connection.settings_dict["NAME"]).name) as conn:
        conn.execute("DELETE FROM django_migrations WHERE app = 'cases'")
    conn.close()
    with pytest.raises(CommandError, match="refusing to overwrite the database"):
        restore(small_backup, "--into", str(target))
    restore(small_backup, "--into", str(target), "--force")
    with sqlite3.connect(target / Path(connection.settings_dict["NAME"]).name) as conn:
        assert conn.execute("SELECT count(*) FROM django_migrations WHERE app = 'cases'").fetchone()[0] > 0
    conn.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the write-ahead log is SQLite's")
def test_cp_of_the_sqlite_file_misses_committed_rows_that_the_backup_has(storage_dirs):
    from civicgrid.worktime.models import CalendarDay

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for day in (1, 2, 3):
        CalendarDay.objects.create(date=f"2031-01-0{day}", is_workday=False, note="committed")
    # What `cp` takes: the main file, without the WAL the three commits are still in.
    copied = storage_dirs / "cp.sqlite3"
    copied.write_bytes(Path(connection.settings_dict["NAME"]).read_bytes())
    with sqlite3.connect(copied) as conn:
        assert conn.execute(
            "SELECT count(*) FROM worktime_calendarday WHERE note = 'committed'"
        ).fetchone() == (0,)
    conn.close()
    call_command("backup", to=str(storage_dirs / "backups"), stdout=io.StringIO())
    [backup] = list((storage_dirs / "backups").iterdir())
    with sqlite3.connect(backup / "database.sqlite3") as conn:
        assert conn.execute(
            "SELECT count(*) FROM worktime_calendarday WHERE note = 'committed'"
        ).fetchone() == (3,)
    conn.close()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a database that does not exist is PostgreSQL's case"
)
def test_restore_into_a_postgresql_database_that_does_not_exist_says_to_create_it(small_backup, tmp_path):
    name = f"civicgrid_missing_{os.getpid()}"
    url = urlsplit(os.environ["DATABASE_URL"])
    env = command_env(tmp_path, DATABASE_URL=urlunsplit(url._replace(path=f"/{name}")))
    done = run_command("restore", str(small_backup), "--into", str(tmp_path / "fresh"), env=env)
    assert done.returncode == 1
    assert f"cannot connect to the PostgreSQL database '{name}'" in done.stderr
    assert f"createdb {name}" in done.stderr
    assert not (tmp_path / "fresh").exists()
