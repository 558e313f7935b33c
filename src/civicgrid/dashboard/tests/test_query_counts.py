"""Pinned query counts: the dashboard's pages cost the same whatever the number of cases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.dashboard.tests.conftest import build_history

pytestmark = pytest.mark.django_db

# At most this many queries (one fewer when a lookup of names has nothing to look up).
PAGES = {
    "/dashboard/?period=quarter": 13,
    "/dashboard/?period=quarter&street=150603001&category=matter:06013": 15,
    "/dashboard/cases/?period=quarter&metric=reported&by=street&key=none": 4,
    "/dashboard/screen.json": 14,
    "/screen/": 3,
}


def counts(client) -> dict[str, int]:
    out = {}
    for url in PAGES:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200, url
        out[url] = len(ctx.captured_queries)
    return out


def test_query_counts_do_not_grow_with_the_cases(city, client):
    client.force_login(city.leader)
    build_history(city, 30, seed=1)
    few = counts(client)
    build_history(city, 90, seed=2)
    many = counts(client)
    for url, pinned in PAGES.items():
        assert pinned - 1 <= few[url] <= pinned and pinned - 1 <= many[url] <= pinned, (url, few[url], many[url])
