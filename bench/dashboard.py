"""Benchmark: every dashboard and map API call over a million bulk cases, on SQLite and PostgreSQL,
beside DuckDB's time for the same aggregation over the same raw rows.

    .venv/bin/python bench/dashboard.py [--cases 1000000] [--db sqlite|postgresql|both] [--reuse]
                                        [--reps 20] [--budget 20]

For each database: a fresh database (`var/bench/dashboard-<N>.sqlite3`; `civicgrid_bench_dashboard`
on PostgreSQL, dropped and created again), `civicgrid migrate`, then `civicgrid demo --cases N
--bulk` (the demo city, then N historical cases written in bulk and the rollups rebuilt). With
`--reuse` a database that already holds N bulk cases is used as it is.

The calls go through the real URLs and the whole Django stack (middleware, session, ninja, JSON),
in a child process per database using Django's test Client logged in as the demo leader (赵敏):
`/api/stats/summary`, `trend` by day, week and month over a year, `breakdown` by every dimension,
`indicators` per group, the `cases` drill-down (first page), and `/api/map/layers/<id>` for every
layer at city zoom (12, the whole district) and street zoom (16, about 1 km²) — each with a few
different filters, 2 warm-up rounds and then `--reps` rounds (fewer when one round would exceed
`--budget` seconds; the count is printed). p50 and p95 are over all measured requests of a call.

DuckDB: the cases and events are exported (PostgreSQL `COPY … TO STDOUT` as CSV; SQLite rows
through the csv module when only SQLite runs) and loaded into DuckDB tables (2 threads); each call
that reads cases gets the equivalent GROUP BY over those raw rows, without rollups, timed the same
way. DuckDB comes with the `bench` extra (`.venv/bin/pip install -e '.[bench]'`); without it that
comparison is skipped. The PostgreSQL run needs a local server and a role that may create databases
(see bench/needs.py: as root it sets both up, else it says in one line what is missing). The last
line of output is one JSON object, naming the parts (databases, duckdb) it skipped or that failed;
exit status 0, 2 (skipped) or 1 (failed).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import needs  # noqa: E402
import serverkit  # noqa: E402
from serverkit import civicgrid_run, production_keys  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
PG_NAME = os.environ.get("BENCH_PG_NAME", "civicgrid_bench_dashboard")
WORK = ROOT / "var" / "bench"
LEADER_PHONE = "13800000006"
CITY_BBOX = "109.72,39.57,109.86,39.64"
STREET_BBOXES = [
    "109.760,39.600,109.772,39.609",
    "109.790,39.585,109.802,39.594",
    "109.740,39.615,109.752,39.624",
]
DASHBOARD_TARGET_MS = {1_000_000: 50, 10_000_000: 100}
MAP_TARGET_MS = 150


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


# --- the databases -----------------------------------------------------------------------------------


def env_for(vendor: str, cases: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(DEBUG="0", CIVICGRID_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", **production_keys())
    if vendor == "sqlite":
        env.update(SQLITE_PATH=str(WORK / f"dashboard-{cases}.sqlite3"), DATABASE_URL="")
    else:
        env.update(DATABASE_URL=f"postgres:///{PG_NAME}")
    return env


def bulk_count(vendor: str, cases: int) -> int | None:
    return serverkit.bulk_count(vendor, WORK / f"dashboard-{cases}.sqlite3", PG_NAME)


def civicgrid(env: dict, *args: str) -> str:
    return civicgrid_run(env, *args, cwd=ROOT)


def prepare(vendor: str, cases: int, reuse: bool) -> dict:
    """The database with the demo city and `cases` bulk cases; returns what building it took."""
    env = env_for(vendor, cases)
    if reuse and bulk_count(vendor, cases) == cases:
        # The code may have moved on since: new migrations, and rollup tables rebuilt when there were any.
        t0 = time.perf_counter()
        migrated = "Applying" in civicgrid(env, "migrate", "--noinput")
        if migrated:
            log(f"[{vendor}] new migrations applied; rebuilding the rollups …")
            log(f"[{vendor}] {civicgrid(env, 'rollups', '--rebuild').strip()}")
        log(f"[{vendor}] reusing the database with {cases:,} bulk cases ({time.perf_counter() - t0:.1f} s)")
        return {"reused": True, "migrated": migrated}
    WORK.mkdir(parents=True, exist_ok=True)
    if vendor == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{env['SQLITE_PATH']}{suffix}").unlink(missing_ok=True)
    else:
        subprocess.run(["dropdb", "--if-exists", "--force", PG_NAME], check=True, env=env)
        subprocess.run(["createdb", PG_NAME], check=True, env=env)
    t0 = time.perf_counter()
    civicgrid(env, "migrate", "--noinput", "-v", "0")
    log(f"[{vendor}] migrate in {time.perf_counter() - t0:.1f} s; generating {cases:,} cases …")
    t1 = time.perf_counter()
    out = civicgrid(env, "demo", "--cases", str(cases), "--bulk")
    total = time.perf_counter() - t1
    match = re.search(r"Bulk: (\d+) cases, (\d+) events, (\d+) deadlines in ([\d.]+) s", out)
    result = {"reused": False, "demo_s": round(total, 1)}
    if match:
        result.update(events=int(match[2]), deadlines=int(match[3]), bulk_s=float(match[4]))
    log(f"[{vendor}] demo city + {cases:,} bulk cases in {total:.1f} s ({result})")
    return result


# --- the calls (run in a child process with Django set up for one database) ---------------------------


def calls(today: date) -> dict[str, list[str]]:
    """Call name → the URLs (a few filters each) it is measured with."""
    from civicgrid.accounts.models import Department
    from civicgrid.analytics.selectors import DIMENSIONS
    from civicgrid.grids.models import Street
    from civicgrid.maps.selectors import LAYERS

    year = f"start={today - timedelta(days=364)}&end={today}"
    month = f"start={today.replace(day=1)}&end={today}"
    days30 = f"start={today - timedelta(days=29)}&end={today}"
    street = Street.objects.order_by("code").values_list("code", flat=True).first()
    department = (
        "CGJ-SR"
        if Department.objects.filter(code="CGJ-SR").exists()
        else Department.objects.order_by("code").values_list("code", flat=True).first()
    )
    department_id = Department.objects.get(code=department).pk
    out = {
        "summary": [
            f"/api/stats/summary?{year}",
            f"/api/stats/summary?{month}",
            f"/api/stats/summary?{year}&street={street}",
            f"/api/stats/summary?{year}&department={department}",
            f"/api/stats/summary?{year}&category=06010",
        ],
    }
    for granularity in ("day", "week", "month"):
        out[f"trend_{granularity}"] = [
            f"/api/stats/trend?{year}&granularity={granularity}&metric=reported",
            f"/api/stats/trend?{year}&granularity={granularity}&metric=closed&street={street}",
            f"/api/stats/trend?{year}&granularity={granularity}&metric=handled&department={department}",
        ]
    for by in DIMENSIONS:
        out[f"breakdown_{by}"] = [
            f"/api/stats/breakdown?{year}&by={by}&metric=reported",
            f"/api/stats/breakdown?{month}&by={by}&metric=closed",
            f"/api/stats/breakdown?{year}&by={by}&metric=reported&category=06010",
        ]
    for group in ("department", "street", "cell"):
        out[f"indicators_{group}"] = [
            f"/api/stats/indicators?{year}&group={group}",
            f"/api/stats/indicators?{month}&group={group}",
            f"/api/stats/indicators?{year}&group={group}&street={street}",
        ]
    out["cases"] = [
        f"/api/stats/cases?{days30}&metric=reported",
        f"/api/stats/cases?{year}&metric=closed&by=department&key={department_id}",
        f"/api/stats/cases?{month}&metric=reported&category=06010",
    ]
    for layer in LAYERS:
        out[f"map_{layer}_city"] = [
            f"/api/map/layers/{layer}?bbox={CITY_BBOX}&zoom=12&{year}",
            f"/api/map/layers/{layer}?bbox={CITY_BBOX}&zoom=12&{days30}",
            f"/api/map/layers/{layer}?bbox={CITY_BBOX}&zoom=13&{month}",
        ]
        out[f"map_{layer}_street"] = [
            f"/api/map/layers/{layer}?bbox={b}&zoom=16&{days30}" for b in STREET_BBOXES
        ]
    return out


def measure(reps: int, budget: float) -> dict:
    """Time every call through Django's test Client as the demo leader (child process)."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from civicgrid.accounts.models import User

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(User.objects.get(phone=LEADER_PHONE))
    today = timezone.localdate()
    results = {}
    for name, urls in calls(today).items():
        errors = []
        t0 = time.perf_counter()
        for url in urls:  # warm-up round, which also checks the answers
            response = client.get(url)
            if response.status_code != 200:
                errors.append(f"{response.status_code} {url} {response.content[:200]!r}")
        round_s = time.perf_counter() - t0
        rounds = max(1, min(reps, int(budget / max(round_s, 1e-6))))
        samples = []
        for _ in range(rounds):
            for url in urls:
                start = time.perf_counter()
                client.get(url)
                samples.append((time.perf_counter() - start) * 1000)
        results[name] = {
            "p50": round(percentile(samples, 0.5), 1),
            "p95": round(percentile(samples, 0.95), 1),
            "n": len(samples),
            "variants": len(urls),
        }
        if errors:
            results[name]["errors"] = errors[:3]
        log(
            f"  [{connection.vendor}] {name:<28} p50 {results[name]['p50']:>8.1f} ms  p95 "
            f"{results[name]['p95']:>8.1f} ms  (n={len(samples)}){'  ERRORS ' + errors[0] if errors else ''}"
        )
    return results


def run_child(vendor: str, cases: int, reps: int, budget: float) -> dict:
    env = env_for(vendor, cases)
    done = subprocess.run(
        [PYTHON, __file__, "--measure", "--reps", str(reps), "--budget", str(budget)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"[{vendor}] measuring failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- DuckDB over the raw rows ---------------------------------------------------------------------------

CASE_EXPORT = (
    "id, status, category_id, department_id, street_id, cell_id, channel, lat, lon, me_too_count, "
    "reporter_id, number, created_at, registered_at, closed_at, due_at, warn_at"
)
EVENT_EXPORT = "id, case_id, action, department_id, on_time, created_at"
TIMES = ("created_at", "registered_at", "closed_at", "due_at", "warn_at")
OPEN = "('reported','registered','dispatched','accepted','returned','handled','verified','long_term')"
TIMED = "('reported','registered','dispatched','accepted','returned','handled','verified')"


def export(vendor: str, cases: int, folder: Path) -> dict[str, Path]:
    """cases.csv and events.csv (UTC times without zone) from the bench database."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"cases": folder / "cases.csv", "events": folder / "events.csv"}
    case_cols = ", ".join(
        f"({c} AT TIME ZONE 'UTC') AS {c}" if c in TIMES else c for c in CASE_EXPORT.split(", ")
    )
    event_cols = (
        "id, case_id, action, department_id, on_time, (created_at AT TIME ZONE 'UTC') AS created_at, "
        "data->>'rating' AS rating"
    )
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(dbname=PG_NAME) as conn, conn.cursor() as cur:
            for key, sql in (
                ("cases", f"SELECT {case_cols} FROM cases_case"),
                ("events", f"SELECT {event_cols} FROM cases_caseevent"),
            ):
                with (
                    paths[key].open("wb") as out,
                    cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as cp,
                ):
                    for block in cp:
                        out.write(block)
        return paths
    with sqlite3.connect(WORK / f"dashboard-{cases}.sqlite3") as conn:
        for key, sql in (
            ("cases", f"SELECT {CASE_EXPORT} FROM cases_case"),
            ("events", f"SELECT {EVENT_EXPORT}, json_extract(data, '$.rating') FROM cases_caseevent"),
        ):
            cursor = conn.execute(sql)
            with paths[key].open("w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(
                    [
                        d[0] if d[0] != "json_extract(data, '$.rating')" else "rating"
                        for d in cursor.description
                    ]
                )
                for rows in iter(lambda: cursor.fetchmany(50_000), []):  # noqa: B023
                    writer.writerows(rows)
    return paths


def duckdb_queries(
    today: date, now: datetime, street_id: int, department_id: int, category_id: int
) -> dict[str, list[str]]:
    """Call name → the raw-row SQL answering the same question (one per URL variant where it matters)."""
    y0, m0, d30 = today - timedelta(days=364), today.replace(day=1), today - timedelta(days=29)
    end = today + timedelta(days=1)

    def period(start: date, column: str = "created_local") -> str:
        return f"{column} >= DATE '{start}' AND {column} < DATE '{end}'"

    now_local = f"TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}'"
    lights = (
        f"SELECT count(*) FILTER (WHERE status IN {OPEN}), "
        f"count(*) FILTER (WHERE status IN {TIMED} AND due_local < {now_local}), "
        f"count(*) FILTER (WHERE status IN {TIMED} AND warn_local <= {now_local} AND due_local >= {now_local}) "
        f"FROM cases"
    )
    flows = (
        "SELECT action, count(*), count(*) FILTER (WHERE on_time) FROM events WHERE {where} GROUP BY action"
    )
    out = {
        "summary": [
            flows.format(where=period(y0)) + "; " + lights,
            flows.format(where=period(m0)) + "; " + lights,
            flows.format(where=f"{period(y0, 'e.created_local')} AND c.street_id = {street_id}").replace(
                "FROM events", "FROM events e JOIN cases c ON c.id = e.case_id"
            )
            + "; "
            + lights,
            flows.format(where=f"{period(y0)} AND department_id = {department_id}") + "; " + lights,
            flows.format(where=f"{period(y0, 'e.created_local')} AND c.category_id = {category_id}").replace(
                "FROM events", "FROM events e JOIN cases c ON c.id = e.case_id"
            )
            + "; "
            + lights,
        ]
    }
    for granularity in ("day", "week", "month"):
        out[f"trend_{granularity}"] = [
            f"SELECT date_trunc('{granularity}', created_local) AS t, count(*) FROM cases WHERE {period(y0)} "
            f"GROUP BY t ORDER BY t",
            f"SELECT date_trunc('{granularity}', e.created_local) AS t, count(*) FROM events e JOIN cases c "
            f"ON c.id = e.case_id WHERE e.action = 'close' AND c.street_id = {street_id} AND "
            f"{period(y0, 'e.created_local')} GROUP BY t ORDER BY t",
            f"SELECT date_trunc('{granularity}', created_local) AS t, count(*) FROM events WHERE action = 'feedback' "
            f"AND department_id = {department_id} AND {period(y0)} GROUP BY t ORDER BY t",
        ]
    for by in ("category", "department", "street", "cell", "channel"):
        column = f"{by}_id" if by != "channel" else "channel"
        out[f"breakdown_{by}"] = [
            f"SELECT {column}, count(*) AS n FROM cases WHERE {period(y0)} GROUP BY 1 ORDER BY n DESC LIMIT 10",
            f"SELECT c.{column}, count(*) AS n FROM events e JOIN cases c ON c.id = e.case_id WHERE "
            f"e.action = 'close' AND {period(m0, 'e.created_local')} GROUP BY 1 ORDER BY n DESC LIMIT 10",
            f"SELECT {column}, count(*) AS n FROM cases WHERE {period(y0)} AND category_id = {category_id} "
            f"GROUP BY 1 ORDER BY n DESC LIMIT 10",
        ]
    counts = (
        "count(*) FILTER (WHERE e.action = 'register'), count(*) FILTER (WHERE e.action = 'register' AND "
        "e.on_time), count(*) FILTER (WHERE e.action = 'dispatch'), count(*) FILTER (WHERE e.action = 'return'), "
        "count(*) FILTER (WHERE e.action = 'feedback'), count(*) FILTER (WHERE e.action = 'feedback' AND "
        "e.on_time), count(*) FILTER (WHERE e.action = 'rework'), count(*) FILTER (WHERE e.action = 'rate'), "
        "count(*) FILTER (WHERE e.action = 'rate' AND e.rating IN ('satisfied', 'basically'))"
    )
    for group in ("department", "street", "cell"):
        key = "e.department_id" if group == "department" else f"c.{group}_id"
        cohort_key = "department_id" if group == "department" else f"{group}_id"

        def indicators(start: date, extra: str = "", key=key, cohort_key=cohort_key) -> str:
            return (
                f"SELECT {key}, {counts} FROM events e JOIN cases c ON c.id = e.case_id WHERE "
                f"{period(start, 'e.created_local')}{extra} GROUP BY 1; "
                f"SELECT {cohort_key}, count(*), count(*) FILTER (WHERE status = 'closed') FROM cases WHERE "
                f"{period(start, 'registered_local')}{extra.replace('c.', '')} GROUP BY 1"
            )

        out[f"indicators_{group}"] = [
            indicators(y0),
            indicators(m0),
            indicators(y0, f" AND c.street_id = {street_id}"),
        ]
    page = (
        "SELECT id, number, status, category_id, street_id, department_id, created_local FROM cases WHERE {w} "
        "ORDER BY created_local DESC, id DESC LIMIT 50"
    )
    out["cases"] = [
        f"SELECT count(*) FROM cases WHERE {period(d30)}; " + page.format(w=period(d30)),
        f"SELECT count(*) FROM events e JOIN cases c ON c.id = e.case_id WHERE e.action = 'close' AND "
        f"e.department_id = {department_id} AND {period(y0, 'e.created_local')}",
        f"SELECT count(*) FROM cases WHERE {period(m0)} AND category_id = {category_id}; "
        + page.format(w=f"{period(m0)} AND category_id = {category_id}"),
    ]
    city = "lon BETWEEN 109.72 AND 109.86 AND lat BETWEEN 39.57 AND 39.64"
    streets = []
    for bbox in STREET_BBOXES:
        x0, y_0, x1, y1 = bbox.split(",")
        streets.append(f"lon BETWEEN {x0} AND {x1} AND lat BETWEEN {y_0} AND {y1}")
    out["map_cell_density_city"] = [
        f"SELECT cell_id, count(*) FROM cases WHERE {period(s)} GROUP BY 1" for s in (y0, d30, m0)
    ]
    out["map_cell_density_street"] = [
        f"SELECT cell_id, count(*) FROM cases WHERE {period(d30)} AND {b} GROUP BY 1" for b in streets
    ]
    overdue = f"status IN {TIMED} AND due_local < {now_local}"
    out["map_cell_overdue_city"] = [
        f"SELECT cell_id, count(*) FROM cases WHERE {overdue} AND {period(s)} GROUP BY 1"
        for s in (y0, d30, m0)
    ]
    out["map_cell_overdue_street"] = [
        f"SELECT cell_id, count(*) FROM cases WHERE {overdue} AND {period(d30)} AND {b} GROUP BY 1"
        for b in streets
    ]
    out["map_cases_city"] = [
        f"SELECT floor(lon / 0.004), floor(lat / 0.003), count(*) FROM cases WHERE {city} AND "
        f"{period(s)} AND status NOT IN ('rejected', 'merged') GROUP BY 1, 2"
        for s in (y0, d30, m0)
    ]
    out["map_cases_street"] = [
        f"SELECT count(*) FROM cases WHERE {b} AND {period(d30)}; SELECT id, lat, lon, status "
        f"FROM cases WHERE {b} AND {period(d30)} LIMIT 2000"
        for b in streets
    ]
    dup = "(me_too_count > 0 OR status = 'merged')"
    out["map_duplicates_city"] = [
        f"SELECT id, lat, lon, me_too_count FROM cases WHERE {dup} AND {city} AND "
        f"{period(s)} ORDER BY me_too_count DESC LIMIT 500"
        for s in (y0, d30, m0)
    ]
    out["map_duplicates_street"] = [
        f"SELECT id, lat, lon, me_too_count FROM cases WHERE {dup} AND {b} AND "
        f"{period(d30)} ORDER BY me_too_count DESC LIMIT 500"
        for b in streets
    ]
    return out


def duckdb_times(
    paths: dict[str, Path], reps: int, ids: dict, today: date, now: datetime
) -> tuple[dict, float]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    t0 = time.perf_counter()
    local = ", ".join(f"{c} + INTERVAL 8 HOUR AS {c.replace('_at', '_local')}" for c in TIMES)
    types = ", ".join(f"'{c}': 'TIMESTAMP'" for c in TIMES)
    con.execute(
        f"CREATE TABLE cases AS SELECT * EXCLUDE ({', '.join(TIMES)}), {local} FROM "
        f"read_csv('{paths['cases']}', header = true, types = {{'number': 'VARCHAR', {types}}})"
    )
    con.execute(
        f"CREATE TABLE events AS SELECT * EXCLUDE (created_at), created_at + INTERVAL 8 HOUR AS created_local "
        f"FROM read_csv('{paths['events']}', header = true, types = {{'created_at': 'TIMESTAMP', "
        f"'on_time': 'BOOLEAN', 'rating': 'VARCHAR', 'department_id': 'BIGINT'}})"
    )
    load_s = time.perf_counter() - t0
    out = {}
    for name, sqls in duckdb_queries(today, now, **ids).items():
        for sql in sqls:  # warm-up
            for statement in sql.split("; "):
                con.execute(statement).fetchall()
        samples = []
        for _ in range(reps):
            for sql in sqls:
                start = time.perf_counter()
                for statement in sql.split("; "):
                    con.execute(statement).fetchall()
                samples.append((time.perf_counter() - start) * 1000)
        out[name] = {"p50": round(percentile(samples, 0.5), 1), "p95": round(percentile(samples, 0.95), 1)}
    return out, load_s


def reference_ids(vendor: str, cases: int) -> dict:
    """The street, department and category the URL filters name, as ids for the raw SQL."""
    queries = (
        "SELECT id FROM grids_street ORDER BY code LIMIT 1",
        "SELECT id FROM accounts_department WHERE code = 'CGJ-SR'",
        "SELECT id FROM taxonomy_category WHERE kind = 'matter' AND code = '06010'",
    )
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(dbname=PG_NAME) as conn:
            values = [conn.execute(q).fetchone()[0] for q in queries]
    else:
        with sqlite3.connect(WORK / f"dashboard-{cases}.sqlite3") as conn:
            values = [conn.execute(q).fetchone()[0] for q in queries]
    return dict(zip(("street_id", "department_id", "category_id"), values, strict=True))


# --- main ---------------------------------------------------------------------------------------------


def summarise(calls_: dict) -> dict:
    dashboard = [c["p95"] for n, c in calls_.items() if not n.startswith("map_")]
    maps = [c["p95"] for n, c in calls_.items() if n.startswith("map_")]
    return {
        "dashboard_p95_ms_max": max(dashboard, default=None),
        "map_p95_ms_max": max(maps, default=None),
        "errors": sorted(n for n, c in calls_.items() if c.get("errors")),
        "calls": calls_,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", type=int, default=1_000_000, help="bulk cases (default 1,000,000; e.g. 10000000)"
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--reuse", action="store_true", help="keep a database that already holds --cases bulk cases"
    )
    parser.add_argument("--reps", type=int, default=20, help="measured rounds per call (default 20)")
    parser.add_argument(
        "--budget",
        type=float,
        default=20.0,
        help="seconds a call may take in all; slow calls get fewer rounds (default 20, at least one)",
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.reps, args.budget)))
        return

    run = needs.Run("dashboard")
    vendors = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    # All needs are checked (and set up) first, so that what is missing is said before the long build.
    duck_possible = not run.missing("duckdb", needs.duckdb)
    vendors = [v for v in vendors if not run.missing(v, *needs.for_database(v))]
    load = os.getloadavg()[0]
    result: dict = {"cases": args.cases}
    measured = []
    for vendor in vendors:
        with run.part(vendor):
            build = prepare(vendor, args.cases, args.reuse)
            log(f"[{vendor}] measuring (1-min load average {os.getloadavg()[0]:.1f}) …")
            result[vendor] = {
                **summarise(run_child(vendor, args.cases, args.reps, args.budget)),
                "build": build,
            }
            measured.append(vendor)

    source = "postgresql" if "postgresql" in measured else "sqlite" if measured else None
    if duck_possible and source is None:
        run.skip("duckdb", "no database was built to export the rows from")
    elif duck_possible:
        with run.part("duckdb"):
            t0 = time.perf_counter()
            paths = export(source, args.cases, WORK / f"duckdb-{args.cases}")
            export_s = time.perf_counter() - t0
            sys.path.insert(0, str(ROOT / "src"))
            from zoneinfo import ZoneInfo

            now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
            duck, load_s = duckdb_times(paths, args.reps, reference_ids(source, args.cases), now.date(), now)
            result["duckdb_ms"] = {name: v["p50"] for name, v in duck.items()}
            result["duckdb"] = {
                "export_from": source,
                "export_s": round(export_s, 1),
                "load_s": round(load_s, 1),
                "p95_ms": {name: v["p95"] for name, v in duck.items()},
            }
    result["load_average_before"] = round(load, 2)
    if not measured:
        run.finish(result)

    vendors = measured
    target = DASHBOARD_TARGET_MS.get(args.cases)
    names = list(next(iter(result[v]["calls"] for v in vendors)))
    header = (
        f"{'call':<28}" + "".join(f" {v[:10] + ' p50/p95':>22}" for v in vendors) + f" {'duckdb p50':>11}"
    )
    print(
        f"dashboard: {args.cases:,} cases; ms; targets: dashboard p95 < {target or '—'} ms, map p95 < "
        f"{MAP_TARGET_MS} ms (PostgreSQL)"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        cells = "".join(
            f" {result[v]['calls'][name]['p50']:>10.1f} /{result[v]['calls'][name]['p95']:>9.1f}"
            for v in vendors
        )
        duck_ms = result.get("duckdb_ms", {}).get(name)
        print(f"{name:<28}{cells} {duck_ms if duck_ms is not None else '—':>11}")
    for vendor in vendors:
        r = result[vendor]
        print(
            f"{vendor}: dashboard p95 max {r['dashboard_p95_ms_max']} ms, map p95 max {r['map_p95_ms_max']} ms, "
            f"build {r['build']}, errors {r['errors'] or 'none'}"
        )
    if "duckdb" in result:
        print(
            f"duckdb: export from {source} {result['duckdb']['export_s']:.1f} s, load "
            f"{result['duckdb']['load_s']:.1f} s",
            end="; ",
        )
    print(f"1-min load average before {load:.1f}")
    run.finish(result)


if __name__ == "__main__":
    main()
