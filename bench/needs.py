"""What a benchmark needs from the machine, checked before it runs, and the one JSON line it ends with.

Used by every script in bench/ (not a benchmark itself). A bench is made of parts — one per database,
per server set-up, DuckDB's comparison — and each part names its needs:

    wrk          the load generator (bench/intake.py, bench/intake_compare.py)
    postgresql   a PostgreSQL server on the local socket (or at PGHOST/PGPORT) that lets the current
                 role (PGUSER, else the OS user's name) connect and create databases; the commands it
                 suggests make a superuser, as CI does (bench/intake.py resets table statistics)
    duckdb       the `bench` extra (bench/dashboard.py's comparison)
    civicgrid    the `civicgrid` command, with which a bench builds its own database and the demo city

A check returns None when the need is met, else one line: what is missing and the command that gets
it. Where that is safe and cheap, it first sets the need up: as root, wrk with apt-get, and PostgreSQL
with tools/postgres_local.sh (start the local cluster, a superuser role for root — what CI does).
BENCH_SETUP=0 turns this off: the checks then only report.

A part whose needs are missing is skipped, a part that breaks is recorded as failed, and the other
parts still run. The script always ends with its JSON line, with the figures of the parts that ran,
plus "skipped" and "failed" objects (part → why) when there are any. Its exit status:
0 every part ran, 2 a part was skipped for a missing need, 1 a part failed (even if another was skipped).
Whether a figure meets its target does not change the exit status.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from serverkit import CIVICGRID, ROOT, log

POSTGRES_LOCAL = ROOT / "tools" / "postgres_local.sh"
EXIT_SKIPPED, EXIT_FAILED = 2, 1


def may_set_up() -> bool:
    return os.environ.get("BENCH_SETUP", "1") != "0" and os.geteuid() == 0


def os_user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


def as_postgres(command: str) -> str:
    """`command` run as the postgres OS user, the way this user can."""
    return f'su postgres -c "{command}"' if os.geteuid() == 0 else f"sudo -u postgres {command}"


def apt_install(package: str) -> None:
    """apt-get install, with one `apt-get update` first if the package lists do not know the package."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", package]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(install, env=env, capture_output=True)


# --- the needs ----------------------------------------------------------------------------------------


def wrk() -> str | None:
    if shutil.which("wrk"):
        return None
    if may_set_up() and shutil.which("apt-get"):
        log("wrk is not installed; installing it: apt-get install -y wrk")
        apt_install("wrk")
        if shutil.which("wrk"):
            return None
    return "wrk is not installed: apt-get install -y wrk (as root, Debian/Ubuntu)"


def civicgrid() -> str | None:
    if Path(CIVICGRID).exists() or shutil.which(CIVICGRID):
        return None
    return "the civicgrid command is not installed: python3 -m venv .venv && .venv/bin/pip install -e ."


def duckdb() -> str | None:
    if importlib.util.find_spec("duckdb") is not None:
        return None
    return "DuckDB is not installed: .venv/bin/pip install -e '.[bench]'"


def postgresql() -> str | None:
    """A server that answers and a role that may create databases (the benches drop and create their own)."""
    for tool in ("createdb", "dropdb"):
        if shutil.which(tool) is None:
            return f"PostgreSQL is not installed ({tool} not found): apt-get install -y postgresql (as root)"
    problem, fixable = postgresql_problem()
    if problem and fixable and may_set_up() and shutil.which("pg_ctlcluster"):
        log(f"{problem.split(':')[0]}; setting it up: {POSTGRES_LOCAL.relative_to(ROOT)}")
        subprocess.run(["bash", str(POSTGRES_LOCAL)], stdout=sys.stderr, stderr=sys.stderr)
        problem, _ = postgresql_problem()
    return problem


def postgresql_problem() -> tuple[str | None, bool]:
    """(what is wrong or None, whether tools/postgres_local.sh puts it right)."""
    import psycopg

    user = os.environ.get("PGUSER") or os_user()
    # tools/postgres_local.sh makes the local cluster and the OS user's own role, nothing else.
    local = user == os_user() and not any(
        os.environ.get(k) for k in ("PGHOST", "PGHOSTADDR", "PGPORT", "PGSERVICE")
    )
    setup = f"as root, {POSTGRES_LOCAL.relative_to(ROOT)} (pg_ctlcluster … start, and a role {user})"
    try:
        with psycopg.connect(dbname="postgres", connect_timeout=5) as conn:
            allowed = conn.execute(
                "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user"
            ).fetchone()[0]
    except psycopg.OperationalError as error:
        text = str(error).strip() or repr(error)
        role = re.search(r'role "([^"]+)" does not exist', text)
        if role:
            fix = setup if local else as_postgres(f"createuser --superuser {role[1]}")
            return f'PostgreSQL has no role "{role[1]}": {fix}', local
        if re.search(r"Connection refused|No such file or directory|timeout expired", text):
            where = re.search(r'connection to server (on socket "[^"]+"|at "[^"]+", port \d+)', text)
            fix = setup if local else "start it, or point PGHOST/PGPORT at one"
            return f"no PostgreSQL server answers{' ' + where[1] if where else ''}: {fix}", local
        fatal = re.search(r"FATAL:\s*(.+)", text)
        return f"PostgreSQL refused the connection: {fatal[1] if fatal else ' '.join(text.split())}", False
    if not allowed:
        return (
            f'PostgreSQL role "{user}" may not create databases: '
            + as_postgres(f"psql -c 'ALTER ROLE {user} SUPERUSER'"),
            False,
        )
    return None, False


def for_database(vendor: str) -> tuple[Callable[[], str | None], ...]:
    """The needs of a part that builds a database of this vendor with the demo city."""
    return (civicgrid, postgresql) if vendor == "postgresql" else (civicgrid,)


# --- one run of a bench -------------------------------------------------------------------------------


class Run:
    """A bench's parts: which were skipped and why, which failed and why; and the closing JSON line."""

    def __init__(self, bench: str):
        self.bench = bench
        self.skipped: dict[str, str] = {}
        self.failed: dict[str, str] = {}
        self.checked: dict[Callable, str | None] = {}

    def check(self, need: Callable[[], str | None]) -> str | None:
        """The need's problem or None; each need is checked (and said on stderr) once per run."""
        if need not in self.checked:
            self.checked[need] = problem = need()
            if problem:
                log(f"{self.bench}: {problem}")
        return self.checked[need]

    def missing(self, part: str, *needs: Callable[[], str | None]) -> bool:
        """True, with the part recorded as skipped, when any of its needs is not met."""
        problems = [p for p in map(self.check, needs) if p]
        if problems:
            self.skip(part, "; ".join(problems))
        return bool(problems)

    def skip(self, part: str, why: str) -> None:
        self.skipped[part] = why

    @contextlib.contextmanager
    def part(self, name: str):
        """Runs the block; if it breaks (an exception or SystemExit), records the part as failed and goes on."""
        try:
            yield
        except (Exception, SystemExit) as error:  # noqa: BLE001 - any breakdown of one part
            if isinstance(error, SystemExit):
                text = str(error.code)
            else:
                text = f"{type(error).__name__}: {error}"
                traceback.print_exc(file=sys.stderr)
            log(f"{self.bench}: {name} failed: {text}")
            first = next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)
            self.failed[name] = first[:300]

    def finish(self, figures: dict) -> NoReturn:
        """Print the JSON line (figures + skipped + failed) and exit 0, 2 (skipped) or 1 (failed)."""
        line = {"bench": self.bench, **figures}
        if self.skipped:
            line["skipped"] = self.skipped
        if self.failed:
            line["failed"] = self.failed
        print(json.dumps(line), flush=True)
        sys.exit(EXIT_FAILED if self.failed else EXIT_SKIPPED if self.skipped else 0)
