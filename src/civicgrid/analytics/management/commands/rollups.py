"""`civicgrid rollups`: count the uncounted events into the rollups; `--rebuild` recomputes them all."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from civicgrid.analytics import rollups


class Command(BaseCommand):
    help = (
        "Bring the statistics rollups up to date (统计汇总): incrementally, or --rebuild everything in SQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute every table from the events")
        parser.add_argument("--batch", type=int, default=5000, help="events per transaction (incremental)")

    def handle(self, *args, rebuild: bool, batch: int, **options):
        started = time.perf_counter()
        if rebuild:
            rows = rollups.rebuild()
            summary = ", ".join(f"{name} {n}" for name, n in rows.items())
            self.stdout.write(f"rebuilt in {time.perf_counter() - started:.1f} s: {summary}")
            return
        total = 0
        while done := rollups.apply_pending(batch=batch):
            total += done
        self.stdout.write(f"counted {total} event(s) in {time.perf_counter() - started:.1f} s")
