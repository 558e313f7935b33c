"""`civicgrid hotspots refresh [--full]`: bring the hot issues (热点问题) up to date now."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand

from civicgrid.hotspots.services import hot_issues_refresh


class Command(BaseCommand):
    help = "Hot issues (热点问题): `refresh` clusters the reports since the last refresh; --full re-clusters all."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument("--full", action="store_true", help="re-cluster the whole history")

    def handle(self, *args, action: str, full: bool, **options):
        started = time.perf_counter()
        result = hot_issues_refresh(full=full)
        summary = dict(vars(result), seconds=round(time.perf_counter() - started, 3))
        self.stdout.write(json.dumps(summary))
