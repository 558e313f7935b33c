"""What the server benchmarks share: a fresh database with the demo city, API tokens, a real server.

Used by bench/intake.py and bench/crash_intake.py (not a benchmark itself). Everything goes through
the venv's `civicgrid` command in subprocesses, exactly as an operator would run it:

    Target.create("sqlite")      a temp dir with CIVICGRID_HOME / SQLITE_PATH
    Target.create("postgresql")  the database civicgrid_bench, dropped and created again
    target.prepare()             civicgrid migrate + civicgrid demo
    target.tokens(n)             civicgrid issue_token for n demo citizens (raw tokens)
    Server(target).start()       civicgrid serve --no-collectstatic --workers 2 --bind 127.0.0.1:PORT
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
CIVICGRID = str(VENV_BIN / "civicgrid") if (VENV_BIN / "civicgrid").exists() else "civicgrid"
PG_NAME = os.environ.get("BENCH_PG_NAME", "civicgrid_bench")  # another name: runs side by side
# Inside the demo city (109.72–109.86E × 39.57–39.64N), a little in from the edges.
BBOX = (109.725, 39.575, 109.855, 39.635)  # min_lon, min_lat, max_lon, max_lat
CATEGORIES = ("matter:06010", "matter:06013", "matter:09006")
# Open311 answers to the questions the demo city's services ask (demo/open311.py: required ones), so that
# every POST of these service codes is a case, not a 400.
OPEN311_ANSWERS = {
    "06010": {"attribute[volume]": "0.5", "attribute[waste_kind]": "household"},
    "06013": {"attribute[size]": "small"},
    "09006": {},
}


def report_request(rng, *, description: str, token: str, key: str) -> tuple[str, dict[str, str]]:
    """The body and headers of one photo-less report at a random place of the demo city, as a
    bearer-token client with an Idempotency-Key sends it (POST /api/cases)."""
    min_lon, min_lat, max_lon, max_lat = BBOX
    body = json.dumps(
        {
            "description": description,
            "lat": round(rng.uniform(min_lat, max_lat), 6),
            "lon": round(rng.uniform(min_lon, max_lon), 6),
            "category": rng.choice(CATEGORIES),
        }
    )
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return body, headers


CITIZEN_PHONE = "1590000{:04d}"  # the demo's 200 citizens: 15900000000 … 15900000199


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pids) -> float:
    """user + system CPU seconds of these processes so far (/proc/PID/stat); vanished ones count 0."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds all cores together spent busy since boot (/proc/stat), for the share of others."""
    user, nice, system, _idle, _iowait, irq, softirq, steal, *_ = map(
        int, Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    )
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def production_keys() -> dict:
    """SECRET_KEY and CIVICGRID_TOKEN_KEYS for a server run with DEBUG off, which refuses the demo
    key (core/checks.py): fresh random ones, unless the environment brings its own."""
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "CIVICGRID_TOKEN_KEYS": os.environ.get("CIVICGRID_TOKEN_KEYS") or "k1:" + secrets.token_urlsafe(32),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Target:
    """One database (SQLite file or PostgreSQL database) and the environment that points at it."""

    vendor: str  # "sqlite" | "postgresql"
    home: Path
    env: dict = field(default_factory=dict)
    sqlite_path: Path | None = None
    pg_name: str | None = None

    @classmethod
    def create(cls, vendor: str, *, pg_name: str = PG_NAME) -> Target:
        """`pg_name`: a bench of its own names its own database, so that two benches can run at once."""
        home = Path(tempfile.mkdtemp(prefix=f"civicgrid-bench-{vendor}-"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
        env.update(
            CIVICGRID_HOME=str(home),
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CIVICGRID_LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            **production_keys(),
        )
        if vendor == "sqlite":
            path = home / "civicgrid.sqlite3"
            env.update(SQLITE_PATH=str(path), DATABASE_URL="")
            return cls(vendor, home, env, sqlite_path=path)
        if vendor == "postgresql":
            for tool in ("dropdb", "createdb"):
                if shutil.which(tool) is None:
                    raise SystemExit(
                        f"{tool} not found: PostgreSQL client tools are needed for the PostgreSQL run"
                    )
            subprocess.run(["dropdb", "--if-exists", "--force", pg_name], check=True, env=env)
            subprocess.run(["createdb", pg_name], check=True, env=env)
            env.update(DATABASE_URL=f"postgres:///{pg_name}")
            return cls(vendor, home, env, pg_name=pg_name)
        raise ValueError(vendor)

    def civicgrid(self, *args: str) -> str:
        done = subprocess.run([CIVICGRID, *args], env=self.env, cwd=self.home, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"civicgrid {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return done.stdout

    def prepare(self, history: int) -> None:
        """migrate + demo with `history` past cases (the demo's default 3000 take minutes on 2 vCPUs)."""
        t0 = time.perf_counter()
        self.civicgrid("migrate", "--noinput", "-v", "0")
        self.civicgrid("demo", "--cases", str(history))
        self.settle()
        log(f"[{self.vendor}] migrate + demo ({history} past cases) in {time.perf_counter() - t0:.1f} s")

    def settle(self) -> None:
        """Let the database finish with the bulk load before anything is measured, as a database in
        service has: PostgreSQL vacuums and analyzes the demo's tables and checkpoints (else its
        autovacuum and checkpointer do it during the first measured run), SQLite moves its WAL into
        the database file."""
        if self.vendor == "sqlite":
            self.query("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        import psycopg

        with psycopg.connect(dbname=self.pg_name, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
            try:
                conn.execute(
                    "CHECKPOINT"
                )  # superuser or pg_checkpoint; without it the checkpointer does it later
            except psycopg.errors.InsufficientPrivilege:
                pass

    def tokens(self, n: int) -> list[str]:
        """Raw API keys of the first n demo citizens (one `civicgrid issue_token` each, with a limit per
        minute no load reaches)."""
        out = []
        for i in range(n):
            raw = (
                self.civicgrid("issue_token", CITIZEN_PHONE.format(i), "bench", "--rate-limit", "1000000")
                .strip()
                .splitlines()[-1]
                .strip()
            )
            if not raw.startswith("cgk_"):
                raise SystemExit(f"issue_token printed {raw!r}, not a token")
            out.append(raw)
        return out

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the database directly (sqlite3 / psycopg), not through the app."""
        if self.vendor == "sqlite":
            with sqlite3.connect(self.sqlite_path, timeout=30) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(dbname=self.pg_name) as conn:
            return conn.execute(sql, params).fetchall()

    def count_rows(self) -> int:
        return self.query("SELECT count(*) FROM cases_case")[0][0]

    def idempotency_keys(self) -> list[str]:
        return [
            r[0]
            for r in self.query("SELECT idempotency_key FROM cases_case WHERE idempotency_key IS NOT NULL")
        ]

    def backend_pids(self) -> list[int]:
        """PostgreSQL backends serving the bench database (the app's persistent connections)."""
        if self.vendor != "postgresql":
            return []
        rows = self.query(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (self.pg_name,)
        )
        return [r[0] for r in rows]

    def cleanup(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
        if self.pg_name:
            subprocess.run(
                ["dropdb", "--if-exists", "--force", self.pg_name], env=self.env, capture_output=True
            )


class Server:
    """`civicgrid serve` (gunicorn, production settings) as a subprocess in its own process group."""

    def __init__(self, target: Target, workers: int = 2):
        self.target = target
        self.workers = workers
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = target.home / "server.log"
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        logfile = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.proc = subprocess.Popen(
            [
                CIVICGRID,
                "serve",
                "--no-collectstatic",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            env=self.target.env,
            cwd=self.target.home,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches the master and every worker
        )
        logfile.close()
        self.starts += 1
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"the server exited ({self.proc.returncode}); see {self.log_path}:\n"
                    + self.log_path.read_text(errors="replace")[-3000:]
                )
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.1)
        raise SystemExit(f"the server did not answer /api/health within {timeout} s; see {self.log_path}")

    def pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        children = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [self.proc.pid, *map(int, children.split())]

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers) at once: no graceful anything."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def civicgrid_run(env: dict, *args: str, cwd: Path | None = None) -> str:
    """`python -m civicgrid ARGS` in `env`; its output, or SystemExit with the end of its errors."""
    done = subprocess.run(
        [sys.executable, "-m", "civicgrid", *args], env=env, cwd=cwd, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"civicgrid {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def bulk_count(vendor: str, sqlite_path: Path, pg_name: str) -> int | None:
    """How many bulk cases a bench database holds (None: no usable database, build it)."""
    sql = "SELECT count(*) FROM cases_case WHERE source_ref = 'bulk'"
    try:
        if vendor == "sqlite":
            if not sqlite_path.exists():
                return None
            with sqlite3.connect(sqlite_path) as conn:
                return conn.execute(sql).fetchone()[0]
        import psycopg

        with psycopg.connect(dbname=pg_name) as conn:
            return conn.execute(sql).fetchone()[0]
    except Exception:  # noqa: BLE001 - no database, no table: build it
        return None
