"""Benchmark: the reads of a city's, a district's and a street's command centre, side by side.

    DEBUG=1 SQLITE_PATH=/tmp/b/bench.sqlite3 civicgrid migrate
    DEBUG=1 SQLITE_PATH=/tmp/b/bench.sqlite3 civicgrid demo --cases 100000 --bulk
    DEBUG=1 SQLITE_PATH=/tmp/b/bench.sqlite3 PYTHONPATH=src .venv/bin/python bench/command_scope.py \
        13800000006 13830000002 13830000003

The phones are the demo's city leader (赵敏), the district's leader and the street's dispatcher
(demo/scope.py). Each URL goes through the whole Django stack (test Client, signed in): 2 warm-up
requests, then the median of 7, in milliseconds, one column per person.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

PERIOD = "start=2026-01-01&end=2026-12-07"
CITY_BBOX = "bbox=109.72,39.57,109.86,39.64&zoom=12"
URLS = [
    f"/api/stats/summary?{PERIOD}",
    f"/api/stats/indicators?group=street&{PERIOD}",
    f"/api/stats/breakdown?by=category&{PERIOD}",
    "/dashboard/screen.json",
    "/dashboard/",
    "/console/queue/all/",
    f"/api/map/layers/cases?{CITY_BBOX}",
    f"/api/map/layers/cell_density?{CITY_BBOX}",
]


def main(phones: list[str]) -> None:
    setup_test_environment()
    users = get_user_model().objects
    table: dict[str, dict[str, float]] = {}
    for phone in phones:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(users.get(phone=phone))
        for url in URLS:
            times = []
            for i in range(2 + 7):
                started = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{url} as {phone}: {response.status_code}")
                if i >= 2:
                    times.append(elapsed)
            table.setdefault(url, {})[phone] = round(statistics.median(times), 1)
    print(f"{'ms (median)':<72}", "  ".join(f"{p:>12}" for p in phones))
    for url, row in table.items():
        print(f"{url[:70]:<72}", "  ".join(f"{row[p]:>12}" for p in phones))


if __name__ == "__main__":
    main(sys.argv[1:] or ["13800000006"])
