"""Benchmark: a streamed bulk export of every case (`civicgrid export cases`), rows/s and peak memory.

    python bench/export.py [--cases 1000000] [--db sqlite|postgresql] [--format csv|geojson] [--reuse]
                           [--replicate K]

Builds (or with `--reuse` reuses) a database with the demo city and `--cases` bulk cases
(`civicgrid demo --cases N --bulk`, a year of history ending today: `var/bench/export-<N>.sqlite3`,
or the PostgreSQL database `civicgrid_bench_export_<N>`), then in a child process runs the command
an operator runs, over the whole history, into a file:

    civicgrid export cases --since <400 days ago> --until <tomorrow> --format csv --out FILE

`--replicate K` (PostgreSQL): the export runs over K copies of the bulk history instead — the database of
`--cases` copied (`createdb -T`) into `civicgrid_bench_export_<N>x<K>` and its bulk cases inserted again
K-1 times by SQL under new numbers (without their events and deadlines, so `on_time` is empty in the
copies). A million cases in minutes where the demo's simulation of a million takes far longer.

It reports its wall time, the rows written (`rows_per_s`) and the command's peak resident memory
(`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`, the child's only child): the export reads the
database in chunks through a server-side cursor and writes as it reads, so the peak must not grow
with the number of rows.

The last line printed is one JSON object:
{"bench": "export", "db": …, "rows": …, "rows_per_s": …, "peak_rss_mb": …, …}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serverkit  # noqa: E402
from serverkit import civicgrid_run, production_keys  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pg_name(cases: int, replicate: int = 1) -> str:
    name = os.environ.get("BENCH_PG_NAME", f"civicgrid_bench_export_{cases}")
    return name if replicate == 1 else f"{name}x{replicate}"


def sqlite_path(cases: int) -> Path:
    return WORK / f"export-{cases}.sqlite3"


def env_for(vendor: str, cases: int, replicate: int = 1) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(DEBUG="0", CIVICGRID_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", **production_keys())
    env["PYTHONPATH"] = str(ROOT / "src")
    if vendor == "sqlite":
        env.update(SQLITE_PATH=str(sqlite_path(cases)), DATABASE_URL="")
    else:
        env.update(DATABASE_URL=f"postgres:///{pg_name(cases, replicate)}")
    return env


def replicate_db(cases: int, times: int, reuse: bool) -> dict:
    """The bulk history of `cases` copied `times` times into its own PostgreSQL database."""
    import psycopg

    name = pg_name(cases, times)
    if reuse and serverkit.bulk_count("postgresql", Path("-"), name) == cases * times:
        log(f"[postgresql] reusing {name} with {cases * times:,} bulk cases")
        return {"replicated": times, "reused_copy": True}
    env = env_for("postgresql", cases)
    t0 = time.perf_counter()
    subprocess.run(["dropdb", "--if-exists", "--force", name], check=True, env=env)
    subprocess.run(["createdb", "-T", pg_name(cases), name], check=True, env=env)
    with psycopg.connect(dbname=name, autocommit=True) as conn:
        columns = [
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'cases_case' "
                "AND column_name NOT IN ('id', 'number', 'idempotency_key') ORDER BY ordinal_position"
            )
        ]
        listed = ", ".join(columns)
        for copy in range(1, times):
            conn.execute(
                f"INSERT INTO cases_case ({listed}, number) "  # noqa: S608 - column names from the catalogue
                f"SELECT {listed}, number || 'r{copy}' FROM cases_case "
                "WHERE source_ref = 'bulk' AND number NOT LIKE '%r%' ORDER BY id"
            )
            log(f"[postgresql] copy {copy} of {times - 1} inserted")
        conn.execute("VACUUM ANALYZE cases_case")
    log(f"[postgresql] {cases * times:,} bulk cases in {name} ({time.perf_counter() - t0:.0f} s)")
    return {"replicated": times, "replicate_s": round(time.perf_counter() - t0, 1)}


def prepare(vendor: str, cases: int, reuse: bool) -> dict:
    env = env_for(vendor, cases)
    if reuse and serverkit.bulk_count(vendor, sqlite_path(cases), pg_name(cases)) == cases:
        civicgrid_run(env, "migrate", "--noinput", "-v", "0", cwd=ROOT)
        log(f"[{vendor}] reusing the database with {cases:,} bulk cases")
        return {"reused": True}
    WORK.mkdir(parents=True, exist_ok=True)
    if vendor == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{env['SQLITE_PATH']}{suffix}").unlink(missing_ok=True)
    else:
        subprocess.run(["dropdb", "--if-exists", "--force", pg_name(cases)], check=True, env=env)
        subprocess.run(["createdb", pg_name(cases)], check=True, env=env)
    civicgrid_run(env, "migrate", "--noinput", "-v", "0", cwd=ROOT)
    log(f"[{vendor}] generating {cases:,} bulk cases …")
    t0 = time.perf_counter()
    out = civicgrid_run(env, "demo", "--cases", str(cases), "--bulk", cwd=ROOT)
    match = re.search(r"Bulk: (\d+) cases", out)
    log(f"[{vendor}] demo city + {match[1] if match else '?'} bulk cases in {time.perf_counter() - t0:.0f} s")
    return {"reused": False, "build_s": round(time.perf_counter() - t0, 1)}


def measure(fmt: str, *, empty: bool = False) -> dict:
    """In the child: run the export command once; its time, its rows and its peak RSS. `empty`: over a
    period without cases, for the command's own footprint (Django and the apps loaded)."""
    since = (date.today() - timedelta(days=400)).isoformat()
    until = (date.today() + timedelta(days=1)).isoformat()
    if empty:
        since, until = "2000-01-01", "2000-01-02"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"cases.{fmt}"
        t0 = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "civicgrid",
                "export",
                "cases",
                "--since",
                since,
                "--until",
                until,
                "--format",
                fmt,
                "--out",
                str(out),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"export failed ({done.returncode}):\n{done.stderr[-3000:]}")
        match = re.search(r"(\d+) rows", done.stderr)
        rows = int(match[1]) if match else 0
        size = out.stat().st_size
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: kilobytes
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds) if seconds else None,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "file_mb": round(size / 1024 / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--format", choices=["csv", "geojson"], default="csv")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--replicate", type=int, default=1, help="K copies of the bulk history (PostgreSQL)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--empty", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.format, empty=args.empty)), flush=True)
        return
    if args.replicate > 1 and args.db != "postgresql":
        raise SystemExit("--replicate is for PostgreSQL")
    built = prepare(args.db, args.cases, args.reuse)
    if args.replicate > 1:
        built.update(replicate_db(args.cases, args.replicate, args.reuse))
    env = env_for(args.db, args.cases, args.replicate)

    def child(*flags: str) -> dict:
        done = subprocess.run(
            [sys.executable, __file__, "--measure", "--format", args.format, *flags],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"[{args.db}] measuring failed ({done.returncode})")
        return json.loads(done.stdout.strip().splitlines()[-1])

    baseline = child("--empty")
    measured = child()
    measured["baseline_rss_mb"] = baseline["peak_rss_mb"]  # the command exporting nothing
    result = {
        "bench": "export",
        "db": args.db,
        "cases": args.cases * args.replicate,
        "format": args.format,
        **measured,
        **built,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
