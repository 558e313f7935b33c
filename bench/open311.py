"""Benchmark: the Open311 GeoReport v2 server (/open311/v2/) at a million cases on PostgreSQL.

    python bench/open311.py [--db civicgrid_bench_open311] [--template civicgrid_bench_export_100000x10]
                            [--gets 2000] [--post-seconds 20] [--connections 8] [--workers 2]

The database: `--db`, made once as a copy of `--template` (`createdb -T`: the bulk history of
bench/export.py, a year of cases ending today, replicated to a million by SQL) and migrated with this
tree's code. An Open311 client (a dispatch-centre account holding scope `open311`) and its key are made
through `civicgrid shell`, then `civicgrid serve` (gunicorn, production settings, DEBUG=0) runs with
`--workers` workers (bench/serverkit.py).

- GET: `requests.json?service_code=C&start_date=<now-30d>&end_date=<now>` for the five busiest
  service codes in turn (up to the spec's 1000 newest requests each, with their public photos), from
  `--get-connections` keep-alive clients (default 2, one per server worker: the answer's own time,
  not a queue's) in 2 client processes; p50/p95 of the answers' times.
- POST: form-urlencoded `requests.json` as FixMyStreet sends them (api_key, jurisdiction_id,
  service_code, lat/long at random in the demo city, description, the answers the demo city's
  definitions require, `attribute[fixmystreet_id]` unique per request, so every request is a new
  case through the intake) for `--post-seconds`; only 201s
  count: `post_per_s`, from `--connections` clients.

On a shared machine the rates follow what else runs: `*_server_cpu_ms` is the CPU the server's
processes and their PostgreSQL backends spent per answer (the cost, whatever the load), and
`*_server_cpu_share` their part of the machine's busy CPU during the phase.

Needs the local PostgreSQL and a role that may create databases. The last line printed is one JSON
object: {"bench": "open311", "db": …, "cases": …, "get_p95_ms": …, "post_per_s": …, …}.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serverkit  # noqa: E402
from serverkit import (  # noqa: E402
    BBOX,
    OPEN311_ANSWERS,
    Server,
    Target,
    civicgrid_run,
    log,
    machine_busy_seconds,
    process_cpu_seconds,
    production_keys,
)

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"get_p95_ms": 100, "post_per_s": 300}
CLIENT_PROCESSES = 2

MAKE_CLIENT = """
from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.accounts.models import ApiClient, User
from civicgrid.accounts.roles import Role
phone = "15999990311"
user = User.objects.filter(phone=phone).first() or User.objects.create_user(
    phone=phone, role=Role.DISPATCHER, real_name="Open311 bench")
client = ApiClient.objects.filter(name="open311-bench").first() or api_client_create(
    name="open311-bench", user=user, scopes=["open311", "cases:create"], kind="platform",
    rate_limit_per_minute=1000000)
if "cases:create" not in client.scopes:
    client.scopes = [*client.scopes, "cases:create"]
    client.save(update_fields=["scopes"])
_key, raw = api_key_issue(client=client)
print("KEY", raw)
"""

BUSIEST = """
SELECT c.code, count(*) FROM cases_case k JOIN taxonomy_category c ON c.id = k.category_id
WHERE k.created_at >= %s GROUP BY c.code ORDER BY 2 DESC LIMIT 5
"""


def database(name: str, template: str, env: dict) -> None:
    exists = subprocess.run(
        ["psql", "-d", "postgres", "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    if not exists:
        t0 = time.perf_counter()
        subprocess.run(["createdb", "-T", template, name], check=True, env=env)
        log(f"copied {template} into {name} in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    civicgrid_run(env, "migrate", "--noinput", "-v", "0")
    log(f"migrate in {time.perf_counter() - t0:.1f} s")


def issue_key(env: dict) -> str:
    out = civicgrid_run(env, "shell", "-c", MAKE_CLIENT)
    return next(line.split()[1] for line in out.splitlines() if line.startswith("KEY "))


# --- load: each client process runs threads with one keep-alive connection each -------------------


def _get_worker(port: int, paths: list[str], out: list, errors: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for path in paths:
        t0 = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        out.append(time.perf_counter() - t0)
        if response.status != 200:
            errors.append(response.status)
    conn.close()


def _api_body(rng, key: str, seed: str, n: int) -> tuple[str, str, dict]:
    """The same report through the REST API (POST /api/cases), for the intake's own cost."""
    min_lon, min_lat, max_lon, max_lat = BBOX
    body = json.dumps(
        {
            "description": f"Open311 基准测试上报 {seed}-{n}：路边有垃圾堆放",
            "lat": round(rng.uniform(min_lat, max_lat), 6),
            "lon": round(rng.uniform(min_lon, max_lon), 6),
            "category": "matter:" + rng.choice(("06010", "06013", "09006")),
            "external_id": f"{seed}-{n}",
        }
    )
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    return "/api/cases", body, headers


def _post_worker(port: int, key: str, seed: str, until: float, out: list, errors: list, api: bool) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    min_lon, min_lat, max_lon, max_lat = BBOX
    n = 0
    while time.monotonic() < until:
        n += 1
        if api:
            path, body, hdrs = _api_body(rng, key, seed, n)
            t0 = time.perf_counter()
            conn.request("POST", path, body=body, headers=hdrs)
            response = conn.getresponse()
            response.read()
            if response.status == 201:
                out.append(time.perf_counter() - t0)
            else:
                errors.append(response.status)
            continue
        code = rng.choice(sorted(OPEN311_ANSWERS))
        body = urlencode(
            {
                "api_key": key,
                "jurisdiction_id": "",
                "service_code": code,
                **OPEN311_ANSWERS[code],
                "lat": f"{rng.uniform(min_lat, max_lat):.6f}",
                "long": f"{rng.uniform(min_lon, max_lon):.6f}",
                "description": f"Open311 基准测试上报 {seed}-{n}：路边有垃圾堆放",
                "email": "bench@example.com",
                "attribute[fixmystreet_id]": f"{seed}-{n}",
            }
        )
        t0 = time.perf_counter()
        conn.request("POST", "/open311/v2/requests.json", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status == 201:
            out.append(time.perf_counter() - t0)
        else:
            errors.append(response.status)


def _client_process(kind: str, args: tuple, threads: int, queue) -> None:
    out: list[float] = []
    errors: list[int] = []
    if kind == "get":
        port, paths = args
        chunks = [paths[i::threads] for i in range(threads)]
        workers = [threading.Thread(target=_get_worker, args=(port, c, out, errors)) for c in chunks]
    else:
        port, key, prefix, until = args
        workers = [
            threading.Thread(
                target=_post_worker, args=(port, key, f"{prefix}{i}", until, out, errors, kind == "api")
            )
            for i in range(threads)
        ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put((out, errors))


def drive(kind: str, per_process: list[tuple], threads: int) -> tuple[list[float], list[int], float]:
    queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_client_process, args=(kind, a, threads, queue)) for a in per_process
    ]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    times = [t for out, _ in results for t in out]
    errors = [e for _, errs in results for e in errs]
    return times, errors, elapsed


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="civicgrid_bench_open311")
    parser.add_argument("--template", default="civicgrid_bench_export_100000x10")
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--post-seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=8, help="POST clients")
    parser.add_argument(
        "--get-connections", type=int, default=2, help="GET clients (one per worker: latency, no queueing)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--compare-intake",
        action="store_true",
        help="also POST the same reports through /api/cases (the intake's own cost beside Open311's)",
    )
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="civicgrid-bench-open311-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        CIVICGRID_HOME=str(home),
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CIVICGRID_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT / "src"),
        DATABASE_URL=f"postgres:///{args.db}",
        **production_keys(),
    )
    venv_civicgrid = Path(sys.executable).parent / "civicgrid"
    if venv_civicgrid.exists():
        serverkit.CIVICGRID = str(venv_civicgrid)
    database(args.db, args.template, env)
    target = Target("postgresql", home, env, pg_name=args.db)
    cases = target.count_rows()
    key = issue_key(env)
    now = datetime.now(UTC)
    month_ago = now - timedelta(days=30)
    codes = [row[0] for row in target.query(BUSIEST, (month_ago,))]
    log(f"{cases} cases; busiest service codes of the last 30 days: {codes}")

    server = Server(target, workers=args.workers)
    server.start()
    result: dict = {"bench": "open311", "db": "postgresql", "cases": cases}
    try:
        window = urlencode(
            {
                "start_date": month_ago.isoformat(timespec="seconds"),
                "end_date": now.isoformat(timespec="seconds"),
            }
        )
        paths = [
            f"/open311/v2/requests.json?service_code={codes[i % len(codes)]}&{window}"
            for i in range(args.gets)
        ]
        threads = max(1, args.get_connections // CLIENT_PROCESSES)
        # Warm-up: each worker's first answers load the taxonomy and open its connection.
        drive("get", [(server.port, paths[:20]) for _ in range(CLIENT_PROCESSES)], threads)
        halves = [(server.port, paths[i::CLIENT_PROCESSES]) for i in range(CLIENT_PROCESSES)]
        pids = server.pids() + target.backend_pids()
        cpu0, busy0 = process_cpu_seconds(pids), machine_busy_seconds()
        times, errors, elapsed = drive("get", halves, threads)
        pids = server.pids() + target.backend_pids()
        get_cpu, busy = process_cpu_seconds(pids) - cpu0, machine_busy_seconds() - busy0
        if errors:
            log(f"GET: {len(errors)} answers not 200: {sorted(set(errors))}")
        sample = json.loads(
            http_get(server.port, f"/open311/v2/requests.json?service_code={codes[0]}&{window}")
        )
        result.update(
            get_requests=len(times),
            get_items_per_answer=len(sample),
            get_p50_ms=round(p(times, 0.50), 1),
            get_p95_ms=round(p(times, 0.95), 1),
            get_per_s=round(len(times) / elapsed, 1),
            get_errors=len(errors),
            get_server_cpu_ms=round(get_cpu / max(len(times), 1) * 1000, 1),
            get_server_cpu_share=round(get_cpu / busy, 2) if busy else None,
        )
        log(f"GET: {result}")
        phases = [("post", "post")] + ([("api", "api_intake")] if args.compare_intake else [])
        for kind, name in phases:
            result.update(post_phase(server, target, key, kind, name, args))
    finally:
        server.stop()
    result.update(
        get_connections=args.get_connections,
        post_connections=args.connections,
        workers=args.workers,
        targets=TARGETS,
        met=bool(
            result.get("get_p95_ms", 1e9) < TARGETS["get_p95_ms"]
            and result.get("post_per_s", 0) >= TARGETS["post_per_s"]
        ),
        load_average=round(os.getloadavg()[0], 2),
    )
    print(json.dumps(result, ensure_ascii=False))


def post_phase(server: Server, target: Target, key: str, kind: str, name: str, args) -> dict:
    """POST for --post-seconds: Open311 (`post`) or the same reports through /api/cases (`api`)."""
    until = time.monotonic() + args.post_seconds
    prefix = f"{kind[0]}{int(time.time())}-"
    per_process = [(server.port, key, f"{prefix}{i}-", until) for i in range(CLIENT_PROCESSES)]
    pids = server.pids() + target.backend_pids()
    cpu0, busy0 = process_cpu_seconds(pids), machine_busy_seconds()
    times, errors, elapsed = drive(kind, per_process, max(1, args.connections // CLIENT_PROCESSES))
    pids = server.pids() + target.backend_pids()
    post_cpu, busy = process_cpu_seconds(pids) - cpu0, machine_busy_seconds() - busy0
    if errors:
        log(f"{name}: {len(errors)} answers not 201: {sorted(set(errors))}")
    out = {
        f"{name}_created": len(times),
        f"{name}_per_s": round(len(times) / elapsed, 1),
        f"{name}_p50_ms": round(p(times, 0.50), 1),
        f"{name}_p95_ms": round(p(times, 0.95), 1),
        f"{name}_errors": len(errors),
        f"{name}_server_cpu_ms": round(post_cpu / max(len(times), 1) * 1000, 1),
        f"{name}_server_cpu_share": round(post_cpu / busy, 2) if busy else None,
    }
    log(f"{name}: {out}")
    return out


def http_get(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    body = conn.getresponse().read()
    conn.close()
    return body


if __name__ == "__main__":
    main()
