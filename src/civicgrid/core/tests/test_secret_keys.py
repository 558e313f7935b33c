"""With DEBUG off the platform refuses to start with the public demo key or without a key for its codes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

import civicgrid

DEMO_KEY = "civicgrid-demo-secret-change-me-in-production-0123456789"
REAL_KEY = "a-real-secret-key-for-the-tests-" + "q" * 30
TOKEN_KEYS = "k1:a-real-token-key-for-the-tests-" + "r" * 30


def _check(**kwargs) -> str:
    with pytest.raises(SystemCheckError) as err:
        call_command("check", tags=["security"], **kwargs)
    return str(err.value)


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = REAL_KEY
    settings.SECRET_KEY_FALLBACKS = []
    settings.CIVICGRID_TOKEN_KEYS = TOKEN_KEYS
    settings.CIVICGRID_TOKEN_KEY_ID = "k1"
    return settings


def test_a_production_configuration_passes(production):
    call_command("check", tags=["security"])


def test_the_demo_key_is_refused_with_debug_off(production):
    production.SECRET_KEY = DEMO_KEY
    message = _check()
    assert "civicgrid.E001" in message and "SECRET_KEY_FILE" in message and "演示密钥" in message


def test_the_demo_key_is_refused_as_a_fallback_too(production):
    production.SECRET_KEY_FALLBACKS = [DEMO_KEY]
    assert "civicgrid.E002" in _check()


def test_the_demo_key_is_fine_on_a_development_machine(production):
    production.DEBUG = True
    production.SECRET_KEY = DEMO_KEY
    production.CIVICGRID_TOKEN_KEYS = ""
    call_command("check", tags=["security"])


def test_codes_need_a_key_of_their_own_in_production(production):
    production.CIVICGRID_TOKEN_KEYS = ""
    message = _check()
    assert "civicgrid.E003" in message and "CIVICGRID_TOKEN_KEYS" in message


def test_a_token_key_may_not_be_secret_key(production):
    production.CIVICGRID_TOKEN_KEYS = f"k1:{REAL_KEY}"
    assert "civicgrid.E005" in _check()


@pytest.mark.parametrize("keys", ["k1", "k1:", ":secret", "k.1:secret", "k1:a,k1:b"])
def test_malformed_token_keys_are_refused(production, keys):
    production.CIVICGRID_TOKEN_KEYS = keys
    production.CIVICGRID_TOKEN_KEY_ID = ""
    assert "civicgrid.E004" in _check()


def test_the_current_token_key_must_be_configured(production):
    production.CIVICGRID_TOKEN_KEY_ID = "k2"
    assert "civicgrid.E006" in _check()


# --- the real commands, as an operator runs them ----------------------------------------------------


def _civicgrid(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "SECRET_KEY"))}
    base = {k: v for k, v in base.items() if not k.startswith("CIVICGRID_TOKEN_KEY")}
    base.update(
        CIVICGRID_HOME=str(tmp_path),
        DATABASE_URL="",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        DEBUG="0",
        PYTHONPATH=str(Path(civicgrid.__file__).parents[1]),  # this checkout's code, whatever the cwd
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "civicgrid", *args],
        env=base,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _python(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "SECRET_KEY"))}
    base.update(
        CIVICGRID_HOME=str(tmp_path),
        DATABASE_URL="",
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="civicgrid.settings",
        PYTHONPATH=str(Path(civicgrid.__file__).parents[1]),
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], env=base, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def _tables(path: Path) -> list[str]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


@pytest.mark.parametrize(
    "command", [("check", "--deploy"), ("migrate", "--noinput"), ("serve", "--no-collectstatic")]
)
def test_commands_refuse_to_start_with_the_demo_key(tmp_path, command):
    if command[0] == "serve":
        # serve needs a database before anything else: one migrated on a development machine
        assert _civicgrid(tmp_path, "migrate", "-v", "0", DEBUG="1").returncode == 0
    done = _civicgrid(tmp_path, *command)
    assert done.returncode != 0
    assert "civicgrid.E001" in done.stderr and "SECRET_KEY" in done.stderr
    assert "civicgrid.E003" in done.stderr
    if command[0] != "serve":
        assert _tables(tmp_path / "db.sqlite3") == []  # nothing migrated
    assert "serving on" not in done.stdout


def test_check_deploy_passes_with_keys_from_files(tmp_path):
    (tmp_path / "secret_key").write_text(REAL_KEY + "\n")
    (tmp_path / "fallbacks").write_text("an-older-secret-key-" + "o" * 30 + "\n\n")
    done = _civicgrid(
        tmp_path,
        "check",
        "--deploy",
        SECRET_KEY_FILE=str(tmp_path / "secret_key"),
        SECRET_KEY_FALLBACKS_FILE=str(tmp_path / "fallbacks"),
        CIVICGRID_TOKEN_KEYS=TOKEN_KEYS,
    )
    assert done.returncode == 0, done.stderr
    assert "civicgrid.E" not in done.stderr


def test_secret_key_fallbacks_are_read_from_the_environment(tmp_path):
    # `civicgrid shell` would need a database: the settings module is read as the commands read it.
    done = _python(
        tmp_path,
        "from django.conf import settings; print(settings.SECRET_KEY_FALLBACKS)",
        SECRET_KEY=REAL_KEY,
        SECRET_KEY_FALLBACKS="old-one-" + "a" * 40 + ", old-two-" + "b" * 40,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(["old-one-" + "a" * 40, "old-two-" + "b" * 40])


# --- rotating SECRET_KEY keeps people signed in while the old key is a fallback -----------------------


def test_sessions_survive_the_rotation_of_secret_key_while_the_old_key_is_a_fallback(settings, world):
    settings.SECRET_KEY = REAL_KEY
    active, away = Client(), Client()
    active.force_login(world.dispatcher)
    away.force_login(world.leader)
    settings.SECRET_KEY = "the-next-secret-key-" + "n" * 40
    settings.SECRET_KEY_FALLBACKS = [REAL_KEY]
    # A visit during the overlap moves the session to the new key ...
    assert active.get("/console/queue/new/").status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    # ... so it outlives the old key; a session not seen during the overlap ends with it.
    assert active.get("/console/queue/new/").status_code == 200
    assert away.get("/dashboard/").status_code == 302
