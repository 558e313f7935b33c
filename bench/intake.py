"""Benchmark: report intake (`POST /api/cases`) through the real server, on SQLite and on PostgreSQL.

    .venv/bin/python bench/intake.py [--runs 3] [--duration 20] [--warmup 5] [--connections 16]
                                     [--workers 2] [--databases sqlite,postgresql]

For each database: a fresh database (a temp dir for SQLite; `civicgrid_bench`, dropped and created
again, for PostgreSQL), `civicgrid migrate`, `civicgrid demo`, API tokens for a few demo citizens,
then `civicgrid serve` (gunicorn, production settings, DEBUG=0) with 2 workers. wrk drives photo-less
reports at random points all over the demo city, in three matter categories, each with its own
Idempotency-Key, as bearer-token clients (no session, no CSRF) — the full intake: idempotency check,
grid cell, duplicate detection (some reports merge as the load grows, as they would in a city),
case + event + deadline + number + outbox row in one durable transaction, and the case detail the
201 carries. In the same run wrk drives `GET /api/health`, the cheapest endpoint, for the server's
own ceiling on this machine; ratio = intake ÷ health.

After a warm-up of each endpoint, each run measures intake then health; the medians over the runs
are reported (p50/p99 of the run with the median rate). Only 201s count as intake throughput; any
other status or socket error is printed. Needs wrk, and for the PostgreSQL run a local server and
a role that may create databases (see bench/needs.py: as root it sets both up, else it says in one
line what is missing and how to get it). The last line of output is one JSON object, naming the
databases it skipped or that failed; exit status 0, 2 (skipped) or 1 (failed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import needs  # noqa: E402
from serverkit import BBOX, CATEGORIES, Server, Target, log, machine_busy_seconds, process_cpu_seconds  # noqa: E402

TARGETS = {"intake": 400, "sqlite": 400, "postgresql": 500}  # reports/s, and p99 < 100 ms
P99_TARGET_MS = 100

# One Lua state per wrk thread. request() builds a fresh report each time; response() counts the
# statuses; done() prints one JSON line with the numbers the Python side reads.
WRK_LUA = r"""
local mode = "%(mode)s"
local tokens = {%(tokens)s}
local categories = {%(categories)s}
local prefix = "%(prefix)s"
local min_lon, min_lat, max_lon, max_lat = %(bbox)s
local threads = {}
local counter = 0
tid = 0  -- set per thread by setup()
statuses = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid * 7919)
end

function request()
  if mode == "health" then
    return wrk.format("GET", "/api/health")
  end
  counter = counter + 1
  local lat = min_lat + math.random() * (max_lat - min_lat)
  local lon = min_lon + math.random() * (max_lon - min_lon)
  local body = string.format(
    '{"description":"bench report %%d","lat":%%.6f,"lon":%%.6f,"category":"%%s"}',
    counter, lat, lon, categories[math.random(#categories)])
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
    ["Idempotency-Key"] = string.format("%%s-%%d-%%d", prefix, tid, counter),
  }
  return wrk.format("POST", "/api/cases", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do total[tostring(code)] = (total[tostring(code)] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(total) do table.insert(parts, string.format('"%%s":%%d', code, n)) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,"max_us":%%d,' ..
    '"connect_errors":%%d,"read_errors":%%d,"write_errors":%%d,"timeouts":%%d,"statuses":{%%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end
"""


def write_lua(path: Path, mode: str, tokens: list[str]) -> Path:
    path.write_text(
        WRK_LUA
        % {
            "mode": mode,
            "tokens": ", ".join(f'"{t}"' for t in tokens),
            "categories": ", ".join(f'"{c}"' for c in CATEGORIES),
            "prefix": "bench-" + secrets.token_hex(6),
            "bbox": ", ".join(str(v) for v in BBOX),
        }
    )
    return path


def wrk(
    url: str,
    lua: tuple[Path, str, list[str]],
    seconds: float,
    connections: int,
    threads: int,
    server: Server | None = None,
) -> dict:
    """One wrk run; the Lua script is written afresh so every run has its own Idempotency-Key prefix.

    With `server`, also the CPU seconds that the server (gunicorn master and workers, plus the
    PostgreSQL backends of the bench database) and wrk used, and the machine's busy CPU seconds,
    so that what other processes took from the two cores is visible next to the rates.
    """
    lua = write_lua(*lua)
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-s",
        str(lua),
        url,
    ]
    if server is not None:
        pids = server.pids() + server.target.backend_pids()
        cpu0, busy0 = process_cpu_seconds(pids), machine_busy_seconds()
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if server is not None:
        pids += [p for p in server.target.backend_pids() if p not in pids]  # connections opened meanwhile
        server_cpu, busy = process_cpu_seconds(pids) - cpu0, machine_busy_seconds() - busy0
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    r = json.loads(line[len("WRKJSON ") :])
    secs = r["duration_us"] / 1e6
    ok = r["statuses"].get("201", 0) + r["statuses"].get("200", 0)
    r["ok_per_s"] = ok / secs
    r["p50_ms"] = r["p50_us"] / 1000
    r["p99_ms"] = r["p99_us"] / 1000
    r["bad"] = {k: v for k, v in r["statuses"].items() if k not in ("200", "201")}
    r["socket_errors"] = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
    if server is not None:
        r["server_cpu_ms"] = server_cpu / ok * 1000 if ok else None  # per successful request
        r["wrk_cpu_ms"] = wrk_cpu / ok * 1000 if ok else None
        r["others_cores"] = max(0.0, busy - server_cpu - wrk_cpu) / secs  # cores other processes kept busy
    return r


def bench_database(vendor: str, args) -> dict:
    target = Target.create(vendor)
    server = Server(target, workers=args.workers)
    try:
        target.prepare(args.history)
        tokens = target.tokens(args.tokens)
        intake_lua = (target.home / "intake.lua", "intake", tokens)
        health_lua = (target.home / "health.lua", "health", tokens)
        server.start()
        url = server.url
        log(
            f"[{vendor}] server up at {url} (gunicorn, {args.workers} workers); warming up {args.warmup} s each"
        )
        if args.warmup > 0:
            wrk(url, intake_lua, args.warmup, args.connections, args.threads)
            wrk(url, health_lua, args.warmup, args.connections, args.threads)
        if vendor == "postgresql":  # count the measured runs' updates of case rows (below)
            target.query("SELECT pg_stat_reset_single_table_counters('cases_case'::regclass)::text")
        runs = []
        load_before = os.getloadavg()[0]
        for n in range(args.runs):
            intake = wrk(url, intake_lua, args.duration, args.connections, args.threads, server)
            health = wrk(url, health_lua, args.duration, args.connections, args.threads, server)
            runs.append((intake, health))
            log(
                f"[{vendor}] run {n + 1}: intake {intake['ok_per_s']:.0f}/s p50 {intake['p50_ms']:.1f} ms "
                f"p99 {intake['p99_ms']:.1f} ms statuses {intake['statuses']} socket errors "
                f"{intake['socket_errors']}, server CPU {intake['server_cpu_ms']:.1f} ms/report, others kept "
                f"{intake['others_cores']:.2f} cores busy | health {health['ok_per_s']:.0f}/s p50 "
                f"{health['p50_ms']:.1f} ms p99 {health['p99_ms']:.1f} ms, server CPU {health['server_cpu_ms']:.2f} "
                f"ms/request"
            )
        rows = target.count_rows()
        merged = target.query("SELECT count(*) FROM cases_case WHERE duplicate_of_id IS NOT NULL")[0][0]
        hot = None
        if vendor == "postgresql":
            # A duplicate's me-too update of its original, HOT (no index entered) when its page has room.
            # The backends report their counts as they exit, so the server is stopped first.
            server.stop()
            hot = target.query(
                "SELECT n_tup_hot_upd, n_tup_upd FROM pg_stat_user_tables WHERE relname = 'cases_case'"
            )[0]
    finally:
        server.stop()
        if not args.keep:
            target.cleanup()
    by_rate = sorted(runs, key=lambda r: r[0]["ok_per_s"])
    median_intake = by_rate[len(by_rate) // 2][0]
    req_per_s = statistics.median(r[0]["ok_per_s"] for r in runs)
    health_per_s = statistics.median(r[1]["ok_per_s"] for r in runs)
    return {
        "req_per_s": round(req_per_s, 1),
        "p50_ms": round(median_intake["p50_ms"], 1),
        "p99_ms": round(median_intake["p99_ms"], 1),
        "health_req_per_s": round(health_per_s, 1),
        "ratio": round(req_per_s / health_per_s, 3) if health_per_s else None,
        "_runs": [round(r[0]["ok_per_s"], 1) for r in runs],
        "_health_runs": [round(r[1]["ok_per_s"], 1) for r in runs],
        "_non_2xx": sum(sum(r[0]["bad"].values()) for r in runs),
        "_socket_errors": sum(r[0]["socket_errors"] for r in runs),
        "_load": round(load_before, 1),
        "_server_cpu_ms": round(statistics.median(r[0]["server_cpu_ms"] for r in runs), 2),
        "_wrk_cpu_ms": round(statistics.median(r[0]["wrk_cpu_ms"] for r in runs), 2),
        "_health_server_cpu_ms": round(statistics.median(r[1]["server_cpu_ms"] for r in runs), 3),
        "_others_cores": round(statistics.median(r[0]["others_cores"] for r in runs), 2),
        "_cases": rows,
        "_merged": merged,
        "_hot_updates": hot,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs per database; medians (default 3)")
    parser.add_argument("--duration", type=float, default=20, help="seconds per measurement (default 20)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up per endpoint (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--tokens", type=int, default=4, help="citizens whose tokens the load uses (default 4)"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=300,
        help="past cases the demo replays first (`civicgrid demo --cases`; default 300)",
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated (default both)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir / bench database afterwards")
    args = parser.parse_args()

    run = needs.Run("intake")
    results = {}
    vendors = [v.strip() for v in args.databases.split(",") if v.strip()]
    # All needs are checked (and set up) first, so that what is missing is said before the long runs.
    for vendor in [v for v in vendors if not run.missing(v, needs.wrk, *needs.for_database(v))]:
        with run.part(vendor):
            results[vendor] = bench_database(vendor, args)

    print(
        f"intake: POST /api/cases vs GET /api/health, {args.connections} connections, gunicorn "
        f"{args.workers} workers, {args.runs}×{args.duration:g} s after {args.warmup:g} s warm-up; medians"
    )
    header = (
        f"{'database':<11} {'intake/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'health/s':>9} {'ratio':>6} "
        f"{'target':>7}  runs (intake/s)"
    )
    print(header)
    print("-" * len(header))
    for vendor, r in results.items():
        goal = TARGETS.get(vendor, 0)
        met = "ok" if r["req_per_s"] >= goal and r["p99_ms"] < P99_TARGET_MS else "MISSED"
        print(
            f"{vendor:<11} {r['req_per_s']:>9.1f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
            f"{r['health_req_per_s']:>9.1f} {r['ratio']:>6.3f} {goal:>5}{'':>2}  {r['_runs']} {met}"
        )
        print(
            f"{'':<11} cases in the database {r['_cases']} (merged as duplicates {r['_merged']}), "
            f"non-2xx {r['_non_2xx']}, socket errors {r['_socket_errors']}, health runs {r['_health_runs']}, "
            f"1-min load average before the runs {r['_load']}"
            + (
                f", case-row updates HOT {r['_hot_updates'][0]} of {r['_hot_updates'][1]}"
                if r["_hot_updates"]
                else ""
            )
        )
        print(
            f"{'':<11} CPU per report: server (gunicorn + database backends) {r['_server_cpu_ms']} ms, wrk "
            f"{r['_wrk_cpu_ms']} ms; per health request {r['_health_server_cpu_ms']} ms; other processes kept "
            f"{r['_others_cores']} of the cores busy during intake"
        )
    run.finish({v: {k: x for k, x in r.items() if not k.startswith("_")} for v, r in results.items()})


if __name__ == "__main__":
    main()
