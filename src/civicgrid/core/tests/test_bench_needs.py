"""bench/needs.py: what a benchmark needs is checked first, and every bench ends with its JSON line.

No benchmark is run here: the scripts are started with a need missing, so they stop at the check.
"""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

BENCH = Path(__file__).resolve().parents[4] / "bench"


@pytest.fixture
def needs(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    module = importlib.import_module("needs")
    monkeypatch.delenv("BENCH_SETUP", raising=False)
    for name in ("PGHOST", "PGHOSTADDR", "PGPORT", "PGSERVICE", "PGUSER"):
        monkeypatch.delenv(name, raising=False)
    return module


def executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_missing_wrk_is_reported_with_the_command_that_installs_it(needs, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("BENCH_SETUP", "0")
    assert needs.wrk() == "wrk is not installed: apt-get install -y wrk (as root, Debian/Ubuntu)"
    executable(tmp_path, "wrk")
    assert needs.wrk() is None


def test_missing_wrk_is_installed_with_apt_get_when_allowed(needs, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    executable(tmp_path, "apt-get")
    monkeypatch.setattr(needs.os, "geteuid", lambda: 0)
    installed = []
    monkeypatch.setattr(needs, "apt_install", lambda package: installed.append(executable(tmp_path, package)))
    assert needs.wrk() is None
    assert [p.name for p in installed] == ["wrk"]

    monkeypatch.setenv("BENCH_SETUP", "0")  # only reports
    (tmp_path / "wrk").unlink()
    assert needs.wrk().startswith("wrk is not installed")
    assert len(installed) == 1


def test_no_postgresql_server_is_reported(needs, monkeypatch, tmp_path):
    monkeypatch.setenv("PGHOST", str(tmp_path))  # a socket directory without a server
    problem, fixable = needs.postgresql_problem()
    assert problem == (
        f'no PostgreSQL server answers on socket "{tmp_path}/.s.PGSQL.5432": '
        "start it, or point PGHOST/PGPORT at one"
    )
    assert not fixable  # not the local cluster: the bench does not start anything


def refused(monkeypatch, needs, message: str) -> None:
    def connect(*args, **kwargs):
        raise psycopg.OperationalError(message)

    monkeypatch.setattr(psycopg, "connect", connect)


def test_missing_role_is_reported_with_the_command_that_creates_it(needs, monkeypatch):
    # libpq's words when the server knows no role of that name.
    refused(
        monkeypatch,
        needs,
        "connection failed: connection to server on socket "
        '"/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  role "ana" does not exist',
    )
    monkeypatch.setattr(needs.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(needs, "os_user", lambda: "ana")
    problem, fixable = needs.postgresql_problem()
    assert problem == (
        'PostgreSQL has no role "ana": as root, tools/postgres_local.sh '
        "(pg_ctlcluster … start, and a role ana)"
    )
    assert fixable

    monkeypatch.setenv("PGUSER", "ana")
    monkeypatch.setattr(needs, "os_user", lambda: "bo")  # another OS user's role: not made by the script
    problem, fixable = needs.postgresql_problem()
    assert problem == 'PostgreSQL has no role "ana": sudo -u postgres createuser --superuser ana'
    assert not fixable


def test_the_local_cluster_is_set_up_as_root_and_checked_again(needs, monkeypatch):
    answers = iter([('PostgreSQL has no role "root": …', True), (None, False)])
    monkeypatch.setattr(needs, "postgresql_problem", lambda: next(answers))
    monkeypatch.setattr(needs.os, "geteuid", lambda: 0)
    monkeypatch.setattr(needs.shutil, "which", lambda name: f"/usr/bin/{name}")
    ran = []
    monkeypatch.setattr(needs.subprocess, "run", lambda cmd, **kwargs: ran.append(cmd))
    assert needs.postgresql() is None
    assert ran == [["bash", str(needs.POSTGRES_LOCAL)]]


def test_the_json_line_names_what_was_skipped_and_what_failed(needs, capsys):
    run = needs.Run("example")
    assert run.missing("sqlite", lambda: None) is False
    assert run.missing("postgresql", lambda: "no PostgreSQL server") is True
    with run.part("sqlite"):
        raise SystemExit("civicgrid demo failed (1):\nTraceback …")
    with pytest.raises(SystemExit) as exit_:
        run.finish({"duckdb": {"p50": 1.0}})
    assert exit_.value.code == needs.EXIT_FAILED
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == {
        "bench": "example",
        "duckdb": {"p50": 1.0},
        "skipped": {"postgresql": "no PostgreSQL server"},
        "failed": {"sqlite": "civicgrid demo failed (1):"},
    }

    run = needs.Run("example")
    run.skip("duckdb", "DuckDB is not installed")
    with pytest.raises(SystemExit) as exit_:
        run.finish({})
    assert exit_.value.code == needs.EXIT_SKIPPED

    with pytest.raises(SystemExit) as exit_:
        needs.Run("example").finish({"sqlite": {}})
    assert exit_.value.code == 0


def bench(script: str, *args: str, **env: str) -> tuple[int, dict]:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_SETUP": "0", **env},
        timeout=60,
    )
    return done.returncode, json.loads(done.stdout.splitlines()[-1])


def test_the_benches_end_with_their_json_line_when_a_need_is_missing(tmp_path):
    code, line = bench("intake.py", "--databases", "sqlite", PATH=str(tmp_path))  # no wrk on the PATH
    assert code == 2
    assert line == {
        "bench": "intake",
        "skipped": {"sqlite": "wrk is not installed: apt-get install -y wrk (as root, Debian/Ubuntu)"},
    }

    code, line = bench("intake_compare.py", "--setup", "a=", "--setup", "b=workers:1", PATH=str(tmp_path))
    assert code == 2
    assert line["bench"] == "intake_compare" and set(line["skipped"]) == {"a", "b"}

    no_server = {"PGHOST": str(tmp_path), "PGPORT": "5432"}
    code, line = bench("crash_intake.py", "--databases", "postgresql", **no_server)
    assert code == 2
    assert "PostgreSQL" in line["skipped"]["postgresql"] and "sqlite" not in line

    code, line = bench("volunteers.py", "--databases", "postgresql", **no_server)
    assert code == 2
    assert "PostgreSQL" in line["skipped"]["postgresql"]
    assert line["bench"] == "volunteers" and "postgresql" not in line  # no figures
    assert line["targets_met"] is False  # nothing measured, nothing met

    code, line = bench("dashboard.py", "--db", "postgresql", "--cases", "10", **no_server)
    assert code == 2
    assert "PostgreSQL" in line["skipped"]["postgresql"]
    assert "duckdb" in line["skipped"]  # not installed, or no database to export from
