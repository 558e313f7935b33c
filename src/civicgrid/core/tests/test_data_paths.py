"""The data directory does not depend on the current directory, and a command never runs on a new,
empty SQLite database it created by mistake: only migrate, demo and restore may create one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import civicgrid

SRC = Path(civicgrid.__file__).resolve().parent.parent
CHECKOUT = SRC.parent


def env_for(**extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "CIVICGRID_HOME", "SQLITE_PATH", "MEDIA_ROOT"))
    }
    # DEBUG=1: a development machine, where the demo keys are allowed (core/checks.py)
    env.update(PYTHONPATH=str(SRC), DATABASE_URL="", DEBUG="1", CIVICGRID_LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def civicgrid_in(cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "civicgrid", *args],
        cwd=cwd,
        env=env_for(**extra),
        capture_output=True,
        text=True,
        timeout=300,
    )


def settings_from(cwd: Path, **extra: str) -> dict[str, str]:
    code = (
        "import django, json; from django.conf import settings; django.setup(); print(json.dumps({"
        "'var': str(settings.VAR_DIR), 'sqlite': str(settings.SQLITE_PATH), 'media': str(settings.MEDIA_ROOT), "
        "'private': settings.STORAGES['private']['OPTIONS']['location']}))"
    )
    cwd.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env_for(DJANGO_SETTINGS_MODULE="civicgrid.settings", **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    import json

    return json.loads(done.stdout)


def test_the_default_data_directory_is_the_checkouts_var_from_any_directory(tmp_path):
    here, there = settings_from(tmp_path / "a"), settings_from(tmp_path / "b" / "c")
    assert here == there
    assert here["var"] == str(CHECKOUT / "var")
    assert here["sqlite"] == str(CHECKOUT / "var" / "civicgrid.sqlite3")
    assert here["media"] == str(CHECKOUT / "var" / "media")
    assert not (tmp_path / "a" / "var").exists()


def test_relative_paths_in_the_environment_are_taken_from_civicgrid_home(tmp_path):
    home = tmp_path / "home"
    paths = settings_from(tmp_path / "elsewhere", CIVICGRID_HOME=str(home), SQLITE_PATH="db/city.sqlite3")
    assert paths["sqlite"] == str(home / "db" / "city.sqlite3")
    assert paths["media"] == str(home / "var" / "media")
    assert paths["private"] == str(home / "var" / "private")


def test_a_command_refuses_a_missing_database_and_creates_nothing(tmp_path):
    home = tmp_path / "home"
    done = civicgrid_in(tmp_path / "elsewhere", "showmigrations", "cases", CIVICGRID_HOME=str(home))
    assert done.returncode == 1
    database = home / "var" / "civicgrid.sqlite3"
    assert f"no civicgrid database at {database} (the file does not exist)" in done.stderr
    assert "run `civicgrid migrate`" in done.stderr
    assert not home.exists() and not (tmp_path / "elsewhere" / "var").exists()
    # A command that needs no database does not create one either.
    done = civicgrid_in(
        tmp_path / "elsewhere", "makemigrations", "--check", "--dry-run", CIVICGRID_HOME=str(home)
    )
    assert done.returncode == 0, done.stderr
    assert not home.exists()


def test_migrate_creates_it_and_a_command_from_another_directory_finds_it(tmp_path):
    home = tmp_path / "home"
    done = civicgrid_in(tmp_path / "one", "migrate", "-v", "0", CIVICGRID_HOME=str(home))
    assert done.returncode == 0, done.stderr
    assert (home / "var" / "civicgrid.sqlite3").is_file()
    done = civicgrid_in(tmp_path / "two" / "deeper", "showmigrations", "cases", CIVICGRID_HOME=str(home))
    assert done.returncode == 0, done.stderr
    assert "[X] 0001_case_loop" in done.stdout
    assert not (tmp_path / "one" / "var").exists() and not (tmp_path / "two" / "deeper" / "var").exists()
