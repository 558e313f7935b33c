"""Crash test: every report that got a 201 survives SIGKILL of the server, on SQLite and on PostgreSQL.

    .venv/bin/python bench/crash_intake.py [--acknowledged 10000] [--kills 3] [--clients 12]
                                           [--databases sqlite,postgresql]

For each database: a fresh database with the demo city (as in bench/intake.py), API tokens for a
few demo citizens, and the real server (`civicgrid serve`, gunicorn, production settings, 2 workers)
in its own process group. Client threads submit photo-less reports all over the city, each with its
own Idempotency-Key, and record which keys were answered 201. Every few seconds, mid-load, the
whole server — gunicorn master and workers at once — gets SIGKILL, then is started again; clients
whose request died retry it with the same key (a 200 replay then means the case had been committed
before the answer was lost). This goes on until at least --acknowledged reports got a 201 and the
server was killed at least --kills times. Then the server is stopped and the database is read
directly (sqlite3 / psycopg): how many of the acknowledged keys have their case row, with its number
and its REPORT event. Target: stored == acknowledged.

What it shows: a commit is durable before the 201 goes out, against a killed process. It does not
simulate a power cut (the OS page cache survives a SIGKILL); synchronous=FULL / synchronous_commit=on
in settings.py cover that case. The PostgreSQL run needs a local server and a role that may create
databases (see bench/needs.py: as root it sets both up, else it says in one line what is missing).
The last line of output is one JSON object, naming the databases it skipped or that failed; exit
status 0, 2 (skipped) or 1 (failed).
"""

from __future__ import annotations

import argparse
import http.client
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import needs  # noqa: E402
from serverkit import Server, Target, log, report_request  # noqa: E402

RETRY_FOR_SECONDS = 30.0  # a client gives one report this long to get through the restarts


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: list[str] = field(default_factory=list)  # 201
    replayed: list[str] = field(default_factory=list)  # 200 + Idempotency-Replayed after a lost answer
    abandoned: list[str] = field(default_factory=list)  # never got an answer within RETRY_FOR_SECONDS
    failed_attempts: int = 0  # connection refused / reset / timed out (the server was being killed)
    other_status: dict = field(default_factory=dict)

    def add(self, bucket: str, key: str) -> None:
        with self.lock:
            getattr(self, bucket).append(key)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def client(port_ref: list[int], tokens: list[str], tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        key = f"crash-{uuid.uuid4()}"
        token = rng.choice(tokens)  # the same reporter on every retry of one report
        body, headers = report_request(rng, description="crash test report", token=token, key=key)
        give_up = time.monotonic() + RETRY_FOR_SECONDS
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port_ref[0], timeout=15)
                conn.request("POST", "/api/cases", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except (OSError, http.client.HTTPException):
                with tally.lock:
                    tally.failed_attempts += 1
                if time.monotonic() > give_up:
                    tally.add("abandoned", key)
                    break
                time.sleep(0.05 + rng.random() * 0.2)
                continue
            if response.status == 201:
                tally.add("acknowledged", key)
            elif response.status == 200 and response.getheader("Idempotency-Replayed") == "true":
                tally.add("replayed", key)
            else:
                with tally.lock:
                    tally.other_status[response.status] = tally.other_status.get(response.status, 0) + 1
            break


def crash_database(vendor: str, args) -> dict:
    target = Target.create(vendor)
    server = Server(target, workers=args.workers)
    tally, stop = Tally(), threading.Event()
    kills, downtime = 0, 0.0
    try:
        target.prepare(args.history)
        tokens = target.tokens(args.tokens)
        server.start()
        port_ref = [server.port]
        threads = [
            threading.Thread(target=client, args=(port_ref, tokens, tally, stop, n), daemon=True)
            for n in range(args.clients)
        ]
        for t in threads:
            t.start()
        rng = random.Random(args.seed)
        started = time.monotonic()
        while True:
            time.sleep(rng.uniform(args.min_interval, args.max_interval))
            acked = tally.count()
            enough = acked >= args.acknowledged and kills >= args.kills
            if enough or time.monotonic() - started > args.max_seconds:
                break
            server.kill()
            kills += 1
            t0 = time.monotonic()
            server.start()
            downtime += time.monotonic() - t0
            log(
                f"[{vendor}] kill {kills} after {acked} acknowledged; back up in {time.monotonic() - t0:.1f} s"
            )
        stop.set()
        for t in threads:
            t.join(timeout=RETRY_FOR_SECONDS + 20)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        server.stop()
    try:
        # The database itself, read directly: the key, the number, and whether the REPORT event is there.
        rows = target.query(
            "SELECT c.idempotency_key, c.number, "
            "EXISTS (SELECT 1 FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'report') "
            "FROM cases_case c WHERE c.idempotency_key LIKE 'crash-%%'"
        )
        integrity = target.query("PRAGMA integrity_check")[0][0] if vendor == "sqlite" else "n/a"
    finally:
        if not args.keep:
            target.cleanup()
    in_db = {key: (number, bool(event)) for key, number, event in rows}
    acknowledged = set(tally.acknowledged)
    stored = [k for k in acknowledged if k in in_db]
    complete = [k for k in stored if in_db[k][0] and in_db[k][1]]
    replayed_stored = sum(1 for k in tally.replayed if k in in_db)
    unacked_stored = len(set(in_db) - acknowledged - set(tally.replayed))
    return {
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "kills": kills,
        "_complete": len(complete),
        "_replayed": len(tally.replayed),
        "_replayed_stored": replayed_stored,
        "_unacknowledged_stored": unacked_stored,
        "_abandoned": len(tally.abandoned),
        "_failed_attempts": tally.failed_attempts,
        "_other_status": tally.other_status,
        "_rows": len(in_db),
        "_seconds": round(elapsed, 1),
        "_downtime": round(downtime, 1),
        "_integrity": integrity,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--acknowledged", type=int, default=10_000, help="at least this many 201s (default 10000)"
    )
    parser.add_argument("--kills", type=int, default=3, help="at least this many SIGKILLs (default 3)")
    parser.add_argument("--clients", type=int, default=12, help="client threads (default 12)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--tokens", type=int, default=4, help="citizens whose tokens the clients use (default 4)"
    )
    parser.add_argument("--min-interval", type=float, default=4.0, help="seconds of load between kills, from")
    parser.add_argument("--max-interval", type=float, default=9.0, help="… to (uniform; default 4–9 s)")
    parser.add_argument(
        "--max-seconds", type=float, default=270.0, help="stop a database's run after this long"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=300,
        help="past cases the demo replays first (`civicgrid demo --cases`; default 300)",
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated (default both)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir / bench database afterwards")
    args = parser.parse_args()

    run = needs.Run("crash_intake")
    results = {}
    vendors = [v.strip() for v in args.databases.split(",") if v.strip()]
    # All needs are checked (and set up) first, so that what is missing is said before the long runs.
    for vendor in [v for v in vendors if not run.missing(v, *needs.for_database(v))]:
        with run.part(vendor):
            results[vendor] = crash_database(vendor, args)

    print(
        f"crash_intake: {args.clients} clients, gunicorn {args.workers} workers, SIGKILL of the whole server "
        f"every {args.min_interval:g}–{args.max_interval:g} s"
    )
    header = (
        f"{'database':<11} {'acked':>7} {'stored':>7} {'complete':>8} {'kills':>5} {'replays':>7} "
        f"{'unacked stored':>14} {'abandoned':>9} {'s':>6}  verdict"
    )
    print(header)
    print("-" * len(header))
    for vendor, r in results.items():
        ok = (
            r["stored"] == r["acknowledged"] == r["_complete"]
            and r["_replayed_stored"] == r["_replayed"]
            and r["acknowledged"] >= args.acknowledged
            and r["kills"] >= args.kills
        )
        print(
            f"{vendor:<11} {r['acknowledged']:>7} {r['stored']:>7} {r['_complete']:>8} {r['kills']:>5} "
            f"{r['_replayed']:>7} {r['_unacknowledged_stored']:>14} {r['_abandoned']:>9} {r['_seconds']:>6} "
            f" {'ok' if ok else 'FAILED'}"
        )
        print(
            f"{'':<11} failed attempts (server down) {r['_failed_attempts']}, restart time {r['_downtime']} s, "
            f"other statuses {r['_other_status'] or 'none'}, rows {r['_rows']}, integrity {r['_integrity']}"
        )
    run.finish({v: {k: x for k, x in r.items() if not k.startswith("_")} for v, r in results.items()})


if __name__ == "__main__":
    main()
