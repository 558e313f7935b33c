"""Benchmark: the hot-issue refresh (热点问题) over a large bulk history — full, then incremental.

    python bench/hotspots.py [--cases 1000000] [--db sqlite|postgresql] [--reuse] [--new 300]

Builds (or with `--reuse` reuses) a database with the demo city and `--cases` bulk cases
(`civicgrid demo --cases N --bulk`, a year of history ending today: `var/bench/hotspots-<N>.sqlite3`,
or the PostgreSQL database `civicgrid_bench_hotspots`), then in a child process with Django set up:

1. `hot_issues_refresh(full=True)`: every report of the history clustered (ST-DBSCAN, text gate);
2. `--new` reports through the real intake (`case_submit`, as twenty citizens) within 40 m of recent
   cases, with their categories and texts, over the last hour;
3. `hot_issues_refresh()`: the incremental refresh the worker runs, which reads the new reports, the
   eps_time before them and the issues they can join — `reclustered` says how many rows that was,
   against the `cases` of the whole history.

The last line printed is one JSON object:
{"bench": "hotspots", "db": …, "cases": …, "full_s": …, "incremental_s": …, …}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serverkit  # noqa: E402
from serverkit import civicgrid_run, production_keys  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench"
PG_NAME = os.environ.get("BENCH_PG_NAME", "civicgrid_bench_hotspots")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def env_for(vendor: str, cases: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(DEBUG="0", CIVICGRID_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", **production_keys())
    env["PYTHONPATH"] = str(ROOT / "src")
    if vendor == "sqlite":
        env.update(SQLITE_PATH=str(WORK / f"hotspots-{cases}.sqlite3"), DATABASE_URL="")
    else:
        env.update(DATABASE_URL=f"postgres:///{PG_NAME}")
    return env


def civicgrid(env: dict, *args: str) -> str:
    return civicgrid_run(env, *args, cwd=ROOT)


def bulk_count(vendor: str, cases: int) -> int | None:
    return serverkit.bulk_count(vendor, WORK / f"hotspots-{cases}.sqlite3", PG_NAME)


def prepare(vendor: str, cases: int, reuse: bool) -> dict:
    env = env_for(vendor, cases)
    if reuse and bulk_count(vendor, cases) == cases:
        civicgrid(env, "migrate", "--noinput", "-v", "0")
        log(f"[{vendor}] reusing the database with {cases:,} bulk cases")
        return {"reused": True}
    WORK.mkdir(parents=True, exist_ok=True)
    if vendor == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{env['SQLITE_PATH']}{suffix}").unlink(missing_ok=True)
    else:
        subprocess.run(["dropdb", "--if-exists", "--force", PG_NAME], check=True, env=env)
        subprocess.run(["createdb", PG_NAME], check=True, env=env)
    civicgrid(env, "migrate", "--noinput", "-v", "0")
    log(f"[{vendor}] generating {cases:,} bulk cases …")
    t0 = time.perf_counter()
    out = civicgrid(env, "demo", "--cases", str(cases), "--bulk")
    match = re.search(r"Bulk: (\d+) cases", out)
    log(f"[{vendor}] demo city + {match[1] if match else '?'} bulk cases in {time.perf_counter() - t0:.0f} s")
    return {"reused": False, "build_s": round(time.perf_counter() - t0, 1)}


def measure(new: int) -> dict:
    """In the child: the full refresh, `new` reports through the intake, the incremental refresh."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection
    from django.db.models import Max

    from civicgrid.accounts.models import User
    from civicgrid.accounts.roles import Role
    from civicgrid.accounts.services import user_create
    from civicgrid.cases.intake import Submission, case_submit
    from civicgrid.cases.models import Case
    from civicgrid.core import clock
    from civicgrid.core.errors import DomainError
    from civicgrid.hotspots.models import HotIssue, HotIssueCase
    from civicgrid.hotspots.services import hot_issues_refresh

    total = Case.objects.count()
    t0 = time.perf_counter()
    full = hot_issues_refresh(full=True)
    full_s = time.perf_counter() - t0
    log(f"full refresh: {full} in {full_s:.1f} s")

    rng = random.Random(7)
    now = clock.now()
    recent = list(
        Case.objects.filter(created_at__gte=now - timedelta(days=5), duplicate_of=None)
        .exclude(category=None)
        .select_related("category")
        .order_by("-id")[:2000]
    )
    citizens = []
    for k in range(20):
        phone = f"1360000{k:04d}"
        citizens.append(
            User.objects.filter(phone=phone).first()
            or user_create(phone=phone, password=None, real_name=f"压测市民{k}", role=Role.CITIZEN)
        )
    written = 0
    seeds = rng.sample(recent, min(len(recent), max(1, new // 5)))
    for k in range(new):
        seed = seeds[k % len(seeds)]
        at = now - timedelta(minutes=rng.uniform(1, 60))
        with clock.at(at):
            try:
                case_submit(
                    reporter=citizens[k % len(citizens)],
                    submission=Submission(
                        description=seed.description,
                        lat=seed.lat + rng.uniform(-0.00035, 0.00035),
                        lon=seed.lon + rng.uniform(-0.00045, 0.00045),
                        category=seed.category,
                    ),
                )
                written += 1
            except DomainError as exc:  # e.g. outside the city after the jitter
                log(f"report refused: {exc}")
    t1 = time.perf_counter()
    incremental = hot_issues_refresh()
    incremental_s = time.perf_counter() - t1
    log(f"incremental refresh: {incremental} in {incremental_s:.2f} s")
    return {
        "bench": "hotspots",
        "db": connection.vendor,
        "cases": total,
        "full_s": round(full_s, 2),
        "incremental_s": round(incremental_s, 3),
        "new_reports": written,
        "incremental_reclustered": incremental.reclustered,
        "issues": HotIssue.objects.count(),
        "active_issues": HotIssue.objects.filter(status="active").count(),
        "full_issues": full.issues,
        "largest_issue_cases": HotIssue.objects.aggregate(m=Max("case_count"))["m"],
        "clustered_cases": HotIssueCase.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--new", type=int, default=300, help="reports written before the incremental refresh")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.new)), flush=True)
        return
    built = prepare(args.db, args.cases, args.reuse)
    env = env_for(args.db, args.cases)
    done = subprocess.run(
        [sys.executable, __file__, "--measure", "--new", str(args.new)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"[{args.db}] measuring failed ({done.returncode})")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(built)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
