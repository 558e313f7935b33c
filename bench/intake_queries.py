"""Benchmark: database queries and CPU time per report intake, in process (no HTTP, no load generator).

    .venv/bin/python bench/intake_queries.py [--reports 400] [--databases sqlite,postgresql] [--open311]

For each database: a fresh database with the demo city (as bench/intake.py makes it), then, in a
child process with the production settings, `POST /api/cases` through django.test.Client with a
bearer token — the same view, middleware and transaction as behind gunicorn. First it counts the
SQL statements of each intake (CaptureQueriesContext; BEGIN/COMMIT included, the statements grouped
by kind and by table), then, without capturing, it times the same intakes: CPU ms per report
(process_time, which other processes on the machine barely disturb), on PostgreSQL also the CPU ms
of the connection's server backend (/proc), and wall ms; and the write-ahead
log each intake adds (KB; on SQLite also pages, every table and index page a commit changed). A few
reports are sent first to warm the caches (grid index, calendar).

--open311: the same for an Open311 POST (`/open311/v2/requests.json`, form-urlencoded as FixMyStreet
sends it and bench/open311.py posts it: api_key, service_code, lat/long, description, a unique
`attribute[fixmystreet_id]`) by a platform client with the `open311` scope. --profile writes a cProfile
report of the intakes (CPU time: cumulative and own) to a file beside the run's home, and its raw stats. The PostgreSQL run needs a local
server and a role that may create databases (see bench/needs.py). The last line of output is one
JSON object, naming the databases it skipped or that failed; exit status 0, 2 (skipped) or 1 (failed).
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import needs  # noqa: E402
from serverkit import BBOX, CATEGORIES, OPEN311_ANSWERS, ROOT, Target, log, process_cpu_seconds  # noqa: E402

FORM = "application/x-www-form-urlencoded; charset=utf-8"  # as FixMyStreet posts (not multipart)


def statement_kind(sql: str) -> str:
    """'SELECT cases_case', 'INSERT cases_caseevent', 'BEGIN', … for the per-intake breakdown."""
    head = sql.lstrip().split(None, 1)[0].upper()
    if head in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
        return head
    if head == "SELECT":
        m = re.search(r'\bFROM\s+"?(\w+)"?', sql, re.IGNORECASE)
    elif head == "INSERT":
        m = re.search(r'\bINTO\s+"?(\w+)"?', sql, re.IGNORECASE)
    else:
        m = re.search(r'^\s*\w+\s+"?(\w+)"?', sql)
    return f"{head} {m.group(1) if m else '?'}"


def child(reports: int, seed: int, open311: bool = False) -> None:
    """Runs inside the target's environment (DJANGO settings from env) and prints one JSON line."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from civicgrid.accounts.clients import api_client_create, api_key_issue, api_personal_key_issue
    from civicgrid.accounts.models import User

    users = list(User.objects.filter(phone__startswith="1590000").order_by("phone")[:4])
    tokens = [
        api_personal_key_issue(user=u, name="queries", rate_limit_per_minute=1_000_000)[1] for u in users
    ]
    client = Client()
    rng = random.Random(seed)
    min_lon, min_lat, max_lon, max_lat = BBOX

    if open311:
        # As bench/open311.py's client: a dispatch-centre account holding the open311 scope.
        account = User.objects.filter(phone="15999990311").first() or User.objects.create_user(
            phone="15999990311", role="dispatcher", real_name="Open311 bench"
        )
        platform = api_client_create(
            name="open311-queries",
            user=account,
            scopes=["open311", "cases:create"],
            kind="platform",
            rate_limit_per_minute=1_000_000,
        )
        open311_key = api_key_issue(client=platform)[1]
        sent = itertools.count()

    def post_open311(i: int) -> None:
        code = rng.choice(sorted(OPEN311_ANSWERS))
        body = urlencode(
            {
                "api_key": open311_key,
                "jurisdiction_id": "",
                "service_code": code,
                **OPEN311_ANSWERS[code],
                "lat": f"{rng.uniform(min_lat, max_lat):.6f}",
                "long": f"{rng.uniform(min_lon, max_lon):.6f}",
                "description": f"Open311 基准测试上报 {i}：路边有垃圾堆放",
                "email": "bench@example.com",
                "attribute[fixmystreet_id]": f"q-{seed}-{next(sent)}",
            }
        )
        r = client.post("/open311/v2/requests.json", data=body, content_type=FORM)
        if r.status_code != 201:
            raise SystemExit(f"Open311 POST answered {r.status_code}: {r.content[:300]!r}")

    def post_api(i: int) -> None:
        body = {
            "description": f"bench report {i}",
            "lat": rng.uniform(min_lat, max_lat),
            "lon": rng.uniform(min_lon, max_lon),
            "category": rng.choice(CATEGORIES),
        }
        r = client.post(
            "/api/cases",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tokens[i % len(tokens)]}",
            HTTP_IDEMPOTENCY_KEY=f"q-{uuid.uuid4()}",
        )
        if r.status_code != 201:
            raise SystemExit(f"intake answered {r.status_code}: {r.content[:300]!r}")

    post = post_open311 if open311 else post_api

    for i in range(20):  # warm-up: grid index, calendar, senders, first connection
        post(i)

    counts, kinds, example = [], collections.Counter(), None
    for i in range(reports):
        with CaptureQueriesContext(connection) as ctx:
            post(i)
        counts.append(len(ctx.captured_queries))
        kinds.update(statement_kind(q["sql"]) for q in ctx.captured_queries)
        if example is None or len(ctx.captured_queries) < len(example):
            example = [statement_kind(q["sql"]) for q in ctx.captured_queries]

    wal_kb, wal_pages = wal_per_intake(post, reports)

    if os.environ.get("INTAKE_PROFILE"):
        # --profile: where the CPU of an intake goes (cProfile timed by process_time, so that waiting for
        # the database counts nothing; cumulative and own time), on stderr.
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for i in range(reports):
            post(i)
        profiler.disable()
        if os.environ["INTAKE_PROFILE"].endswith(".prof"):
            profiler.dump_stats(os.environ["INTAKE_PROFILE"])  # for pstats or snakeviz
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
        stats.print_callers("functional.py")

    cpu, wall, db_cpu = [], [], []
    for _ in range(3):
        backend = backend_cpu_seconds()
        c0, w0 = time.process_time(), time.perf_counter()
        for i in range(reports):
            post(i)
        cpu.append((time.process_time() - c0) / reports * 1000)
        wall.append((time.perf_counter() - w0) / reports * 1000)
        if backend is not None:
            db_cpu.append((backend_cpu_seconds() - backend) / reports * 1000)
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "what": "open311" if open311 else "intake",
                "queries_median": statistics.median(counts),
                "queries_min": min(counts),
                "queries_max": max(counts),
                "per_intake": {
                    k: round(v / reports, 2) for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])
                },
                "fewest": example,
                "cpu_ms": round(statistics.median(cpu), 2),
                "db_cpu_ms": round(statistics.median(db_cpu), 2) if db_cpu else None,
                "wall_ms": round(statistics.median(wall), 2),
                "wal_kb": wal_kb,
                "wal_pages": wal_pages,
            }
        )
    )


def backend_cpu_seconds() -> float | None:
    """CPU seconds the connection's PostgreSQL backend has used (/proc: the server runs on this machine);
    None on SQLite, which runs in the process itself."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    return process_cpu_seconds([connection.connection.info.backend_pid])


def wal_per_intake(post, reports: int) -> tuple[float, float | None]:
    """The write-ahead log each intake adds: KB, and on SQLite the pages (WAL frames) — every page a
    commit changed is written whole, so this counts the table and index pages one report touches.

    SQLite: the log is emptied first and not checkpointed while the reports go in (neither by SQLite
    nor by the backend's own checkpoint every 50 commits), so its growth is theirs.
    PostgreSQL: the distance the WAL insert position moves (no checkpoint is forced, so pages already
    logged since the last checkpoint add records, not full-page images).
    """
    from django.db import DEFAULT_DB_ALIAS, connection, connections

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA page_size")
            page_size = cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("PRAGMA wal_autocheckpoint")
            autocheckpoint = cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
            wal = Path(f"{connection.settings_dict['NAME']}-wal")
            before = wal.stat().st_size if wal.exists() else 0
            wrapper = connections[DEFAULT_DB_ALIAS]
            wrapper._checkpoint_now_and_then = lambda: None  # the backend's checkpoint every 50 commits
            try:
                for i in range(reports):
                    post(i)
            finally:
                del wrapper._checkpoint_now_and_then
            grown = wal.stat().st_size - max(before, 32)  # a fresh log starts with its 32-byte header
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return round(grown / reports / 1024, 1), round(grown / (page_size + 24) / reports, 1)
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        start = cursor.fetchone()[0]
        for i in range(reports):
            post(i)
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [start])
        return round(float(cursor.fetchone()[0]) / reports / 1024, 1), None


def run_database(vendor: str, args) -> dict:
    target = Target.create(vendor)
    try:
        target.prepare(args.history)
        env = dict(target.env, ALLOWED_HOSTS="testserver,127.0.0.1,localhost")
        name = f"{'open311' if args.open311 else 'intake'}-profile-{vendor}"
        if args.profile:
            env["INTAKE_PROFILE"] = str(Path(target.home).parent / f"{name}.prof")
        command = [
            sys.executable,
            __file__,
            "--child",
            "--reports",
            str(args.reports),
            "--seed",
            str(args.seed),
        ]
        done = subprocess.run(
            command + (["--open311"] if args.open311 else []),
            env=env,
            cwd=target.home,
            capture_output=True,
            text=True,
        )
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        if done.returncode != 0 or not line.startswith("{"):
            raise SystemExit(
                f"[{vendor}] child failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
        result = json.loads(line)
        log(
            f"[{vendor}] {result['queries_median']} queries, {result['cpu_ms']} CPU ms, {result['wal_kb']} KB of WAL "
            f"per intake"
        )
        if args.profile:
            (Path(target.home).parent / f"{name}.txt").write_text(done.stderr)
            log(f"[{vendor}] profile written to {Path(target.home).parent / name}.txt (and .prof)")
        return result
    finally:
        if not args.keep:
            target.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reports", type=int, default=400, help="intakes counted, then timed 3× (default 400)"
    )
    parser.add_argument(
        "--history", type=int, default=300, help="past cases the demo replays first (default 300)"
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated (default both)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the intakes; the report goes to a file"
    )
    parser.add_argument(
        "--open311",
        action="store_true",
        help="Open311 POSTs (/open311/v2/requests.json) instead of /api/cases",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.reports, args.seed, args.open311)
        return

    run = needs.Run("open311_queries" if args.open311 else "intake_queries")
    results = {}
    vendors = [v.strip() for v in args.databases.split(",") if v.strip()]
    # All needs are checked (and set up) first, so that what is missing is said before the long runs.
    for vendor in [v for v in vendors if not run.missing(v, *needs.for_database(v))]:
        with run.part(vendor):
            results[vendor] = run_database(vendor, args)
    what = "Open311 POSTs" if args.open311 else "reports"
    print(
        f"intake_queries: {args.reports} {what} through django.test.Client, in process; CPU/wall: median of 3"
    )
    for vendor, r in results.items():
        print(
            f"{vendor}: {r['queries_median']} statements per intake (min {r['queries_min']}, max "
            f"{r['queries_max']}), {r['cpu_ms']} CPU ms"
            + (f" (+ {r['db_cpu_ms']} in the PostgreSQL backend)" if r["db_cpu_ms"] is not None else "")
            + f", {r['wall_ms']} wall ms, {r['wal_kb']} KB of WAL"
            + (f" ({r['wal_pages']} pages)" if r["wal_pages"] is not None else "")
        )
        for kind, n in r["per_intake"].items():
            print(f"    {n:>5.2f}  {kind}")
    run.finish(
        {
            v: {
                "queries": r["queries_median"],
                "cpu_ms": r["cpu_ms"],
                **({"db_cpu_ms": r["db_cpu_ms"]} if r["db_cpu_ms"] is not None else {}),
                "wall_ms": r["wall_ms"],
                "wal_kb": r["wal_kb"],
                **({"wal_pages": r["wal_pages"]} if r["wal_pages"] is not None else {}),
            }
            for v, r in results.items()
        }
    )


if __name__ == "__main__":
    main()
