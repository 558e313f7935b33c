"""Benchmark: two or more server set-ups for the intake, in alternating rounds on one database.

    .venv/bin/python bench/intake_compare.py --database postgresql [--rounds 3] [--duration 10]
        --setup base= --setup three=workers:3 --setup other=PYTHONPATH:/path/to/src ...

On these VMs the same code measures ±15 % from one minute to the next, and the rate falls as a run
fills the city with reports; bench/intake.py, which runs one set-up, cannot tell a 5 % change from
that. This script takes one database (migrate + demo, as bench/intake.py), then for each round
starts each set-up in turn — `civicgrid serve` with that set-up's workers and environment — warms
it for 3 s and measures intake for `--duration` seconds with wrk (the same reports as
bench/intake.py). Each set-up is measured as often as the others, at the same sizes of the database
and in the same minutes, so the per-round differences are the set-ups'. A set-up is
`name=KEY:VALUE,KEY:VALUE`: `workers:N`, or an environment variable for the server (a different
source tree with `PYTHONPATH:…/src`, a gunicorn option with `GUNICORN_CMD_ARGS:…`).

Per measurement it prints reports/s, CPU ms per report of the gunicorn workers and of the
PostgreSQL backends, and the cores the machine kept busy. Needs wrk, and for PostgreSQL a local
server and a role that may create databases (see bench/needs.py). The last line is one JSON object
with each set-up's median reports/s and its per-round rates, naming the set-ups it skipped or that
failed (a set-up that fails in one round is left out of the later ones); exit status 0, 2 (skipped)
or 1 (failed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import needs  # noqa: E402
from intake import wrk  # noqa: E402
from serverkit import Server, Target, log, machine_busy_seconds, process_cpu_seconds  # noqa: E402


def parse_setup(text: str) -> tuple[str, int, dict]:
    name, _, spec = text.partition("=")
    if not name:
        raise SystemExit(f"--setup {text!r}: expected name=KEY:VALUE,…")
    workers, env = 2, {}
    for item in filter(None, spec.split(",")):
        key, sep, value = item.partition(":")
        if not sep:
            raise SystemExit(f"--setup {text!r}: {item!r} is not KEY:VALUE")
        if key == "workers":
            workers = int(value)
        else:
            env[key] = value
    return name, workers, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--setup", action="append", required=True, help="name=KEY:VALUE,… (two or more)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--history", type=int, default=300, help="past cases the demo replays first")
    args = parser.parse_args()
    setups = [parse_setup(s) for s in args.setup]
    if len({name for name, _, _ in setups}) != len(setups):
        raise SystemExit("set-up names must differ")

    run = needs.Run("intake_compare")
    rates: dict[str, list[float]] = {name: [] for name, _, _ in setups}
    # Every set-up needs the load generator and the database.
    if any([run.missing(name, needs.wrk, *needs.for_database(args.database)) for name, _, _ in setups]):
        run.finish({"db": args.database})
    target = None
    with run.part("database"):  # migrate + demo, shared by every set-up
        target = Target.create(args.database)
        target.prepare(args.history)
        tokens = target.tokens(4)
    if "database" in run.failed:
        if target is not None:
            target.cleanup()
        run.finish({"db": args.database})
    try:
        base_env = dict(target.env)
        for round_no in range(args.rounds):
            for name, workers, env in setups:
                if name in run.failed:
                    continue
                target.env = {**base_env, **env}
                server = Server(target, workers=workers)
                with run.part(name):
                    try:
                        server.start()
                        lua = (target.home / "intake.lua", "intake", tokens)
                        wrk(server.url, lua, 3, args.connections, 1)
                        worker_pids, backend_pids = server.pids(), target.backend_pids()
                        cpu_w, cpu_b, busy = (
                            process_cpu_seconds(worker_pids),
                            process_cpu_seconds(backend_pids),
                            machine_busy_seconds(),
                        )
                        r = wrk(server.url, lua, args.duration, args.connections, 1)
                        n = r["statuses"].get("201", 0)
                        if n == 0:
                            raise SystemExit(f"[{name}] no 201 in round {round_no}: {r['statuses']}")
                        rate = n / args.duration
                        rates[name].append(round(rate, 1))
                        log(
                            f"round {round_no} {name:>12}: {rate:6.1f} reports/s, p99 {r['p99_us'] / 1000:.1f} ms, "
                            f"CPU per report workers {(process_cpu_seconds(worker_pids) - cpu_w) / n * 1000:.2f} ms, "
                            f"database {(process_cpu_seconds(target.backend_pids()) - cpu_b) / n * 1000:.2f} ms; "
                            f"machine busy {(machine_busy_seconds() - busy) / args.duration:.2f} cores; "
                            f"cases {target.count_rows()}"
                        )
                    finally:
                        server.stop()
    finally:
        target.cleanup()
    run.finish(
        {
            "db": args.database,
            **{name: {"req_per_s": statistics.median(v), "runs": v} for name, v in rates.items() if v},
        }
    )


if __name__ == "__main__":
    main()
