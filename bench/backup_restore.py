"""Benchmark: `civicgrid backup` during intake load, `civicgrid restore` into a fresh place, and a count.

    .venv/bin/python bench/backup_restore.py [--cases 100000] [--clients 4] [--workers 2]
                                             [--databases sqlite,postgresql]

For each database: a fresh database with the demo city and a history of --cases cases written by
the demo's bulk generator (`civicgrid demo --cases N --bulk`: the rows the case loop writes — cases,
events, deadlines, numbers, rollups), API tokens for a few demo citizens, and the real server
(`civicgrid serve`, gunicorn, production settings). Client threads post photo-less reports, each with
its own Idempotency-Key, and note when each 201 arrived. Once the load runs, `civicgrid backup` is
started (a subprocess, as cron would start it) and timed; the load goes on through it and a little
after. Then the server is stopped and `civicgrid restore` runs into a fresh place (SQLite: `--into`
a new folder; PostgreSQL: a new, empty database) and is timed. The restored database is read directly:
how many of the reports acknowledged before the backup started are there (target: all, lost 0), and
whether any restored case lacks its number or its REPORT event (target: none).

s_per_million_cases = (backup_s + restore_s − 2 × startup_s) × 1 000 000 ÷ the cases in the backup: a
linear extrapolation of the part that grows with the database, where startup_s is the fixed cost of
starting one command (the fastest of three `civicgrid backup --help`: Python and Django's set-up). Both
are dominated by reading and writing the database's pages (SQLite's backup API
copies pages; pg_dump/pg_restore stream rows and rebuild indexes), which grow linearly with the
cases; measure at a realistic size (the default 100 000) so that fixed costs (starting the command,
Django's set-up) do not weigh in. The last line of output is one JSON object; exit status 0, 2
(a database skipped for a missing need) or 1 (failed).
"""

from __future__ import annotations

import argparse
import http.client
import random
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import needs  # noqa: E402
from serverkit import CIVICGRID, Server, Target, log, report_request  # noqa: E402

# Databases of their own, so that this bench never drops another bench's `civicgrid_bench`.
BENCH_DB, RESTORE_DB = "civicgrid_bench_backup", "civicgrid_bench_backup_restore"


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: list[tuple[float, str]] = field(default_factory=list)  # (when the 201 came, key)
    errors: dict = field(default_factory=dict)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def client(port: int, tokens: list[str], tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    while not stop.is_set():
        n += 1
        key = f"backup-{seed}-{n}"
        body, headers = report_request(
            rng, description="backup bench report", token=rng.choice(tokens), key=key
        )
        try:
            conn.request("POST", "/api/cases", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            with tally.lock:
                tally.errors[type(error).__name__] = tally.errors.get(type(error).__name__, 0) + 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        with tally.lock:
            if response.status == 201:
                tally.acknowledged.append((time.monotonic(), key))
            else:
                tally.errors[response.status] = tally.errors.get(response.status, 0) + 1
    conn.close()


def create_target(vendor: str) -> Target:
    target = Target.create("sqlite")  # a temp home and the environment of the commands
    if vendor == "sqlite":
        return target
    subprocess.run(["dropdb", "--if-exists", "--force", BENCH_DB], check=True, env=target.env)
    subprocess.run(["createdb", BENCH_DB], check=True, env=target.env)
    return Target(
        vendor, target.home, {**target.env, "DATABASE_URL": f"postgres:///{BENCH_DB}"}, pg_name=BENCH_DB
    )


def run_civicgrid(env: dict, cwd: Path, *args: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run([CIVICGRID, *args], env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"civicgrid {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def backup_restore(vendor: str, args) -> dict:
    target = create_target(vendor)
    server = Server(target, workers=args.workers)
    tally, stop = Tally(), threading.Event()
    restored_target: Target | None = None
    try:
        t0 = time.perf_counter()
        target.civicgrid("migrate", "--noinput", "-v", "0")
        target.civicgrid("demo", "--cases", str(args.cases), "--bulk")
        target.settle()
        log(f"[{vendor}] migrate + demo --bulk ({args.cases} cases) in {time.perf_counter() - t0:.1f} s")
        tokens = target.tokens(4)
        server.start()
        threads = [
            threading.Thread(target=client, args=(server.port, tokens, tally, stop, n), daemon=True)
            for n in range(args.clients)
        ]
        for t in threads:
            t.start()
        while tally.count() < args.warmup and time.perf_counter() - t0 < 3600:
            time.sleep(0.05)
        started = time.monotonic()
        during_from = tally.count()
        backups = target.home / "backups"
        backup_s, out = run_civicgrid(target.env, target.home, "backup", "--to", str(backups))
        during = tally.count() - during_from
        backup_dir = Path(out.strip().splitlines()[-1])
        # The fixed cost of a command (Python, Django's set-up), which does not grow with the cases.
        startup_s = min(run_civicgrid(target.env, target.home, "backup", "--help")[0] for _ in range(3))
        time.sleep(1.0)  # the load goes on after the backup too
        stop.set()
        for t in threads:
            t.join(timeout=60)
        server.stop()
        before = {key for when, key in tally.acknowledged if when < started}

        restored_dir = target.home / "restored"
        env = dict(target.env)
        if vendor == "postgresql":
            subprocess.run(["dropdb", "--if-exists", "--force", RESTORE_DB], check=True, env=env)
            subprocess.run(["createdb", RESTORE_DB], check=True, env=env)
            env["DATABASE_URL"] = f"postgres:///{RESTORE_DB}"
            restored_target = Target(vendor, restored_dir, env, pg_name=RESTORE_DB)
        else:
            restored_target = Target(
                vendor, restored_dir, env, sqlite_path=restored_dir / "civicgrid.sqlite3"
            )
        restore_s, _ = run_civicgrid(
            env, target.home, "restore", str(backup_dir), "--into", str(restored_dir)
        )
        # One join, not a subquery per case (which SQLite's planner may run as a scan per case).
        rows = restored_target.query(
            "SELECT c.idempotency_key, c.number IS NOT NULL AND r.case_id IS NOT NULL FROM cases_case c "
            "LEFT JOIN (SELECT DISTINCT case_id FROM cases_caseevent WHERE action = 'report') r "
            "ON r.case_id = c.id"
        )
        cases = len(rows)
        keys = {key for key, _ in rows if key}
        incomplete = sum(1 for _, whole in rows if not whole)
        size = sum(p.stat().st_size for p in backup_dir.rglob("*") if p.is_file())
    finally:
        stop.set()
        server.stop()
        if not args.keep:
            target.cleanup()
            if restored_target is not None and restored_target.pg_name:
                subprocess.run(["dropdb", "--if-exists", "--force", RESTORE_DB], capture_output=True)
    restored = len(before & keys)
    return {
        "acknowledged": len(before),
        "restored": restored,
        "lost": len(before) - restored,
        "backup_s": round(backup_s, 2),
        "restore_s": round(restore_s, 2),
        "s_per_million_cases": round(max(backup_s + restore_s - 2 * startup_s, 0) * 1_000_000 / cases, 1),
        "cases": cases,
        "incomplete_cases": incomplete,
        "acknowledged_during_backup": during,
        "backup_mb": round(size / 1e6, 1),
        "startup_s": round(startup_s, 2),
        "_errors": tally.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", type=int, default=100_000, help="bulk history before the load (default 100000)"
    )
    parser.add_argument("--clients", type=int, default=4, help="client threads posting reports (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--warmup", type=int, default=200, help="reports acknowledged before the backup starts (default 200)"
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated (default both)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temp dir and bench databases afterwards"
    )
    args = parser.parse_args()

    run = needs.Run("backup_restore")
    results = {}
    vendors = [v.strip() for v in args.databases.split(",") if v.strip()]
    for vendor in [v for v in vendors if not run.missing(v, *needs.for_database(v))]:
        if vendor == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
            run.skip(vendor, "pg_dump/pg_restore not found: apt-get install -y postgresql-client")
            continue
        with run.part(vendor):
            results[vendor] = backup_restore(vendor, args)

    print(
        f"backup_restore: {args.cases} bulk cases, {args.clients} clients posting reports during the backup"
    )
    header = (
        f"{'database':<11} {'acked':>6} {'restored':>8} {'lost':>5} {'backup s':>9} {'restore s':>9} "
        f"{'s/1M cases':>10} {'cases':>8} {'MB':>7}  verdict"
    )
    print(header)
    print("-" * len(header))
    for vendor, r in results.items():
        ok = r["lost"] == 0 and r["incomplete_cases"] == 0
        print(
            f"{vendor:<11} {r['acknowledged']:>6} {r['restored']:>8} {r['lost']:>5} {r['backup_s']:>9} "
            f"{r['restore_s']:>9} {r['s_per_million_cases']:>10} {r['cases']:>8} {r['backup_mb']:>7}  "
            f"{'ok' if ok else 'FAILED'}"
        )
        print(
            f"{'':<11} acknowledged during the backup {r['acknowledged_during_backup']}, errors {r['_errors'] or 'none'}"
        )
    run.finish({v: {k: x for k, x in r.items() if not k.startswith("_")} for v, r in results.items()})


if __name__ == "__main__":
    main()
