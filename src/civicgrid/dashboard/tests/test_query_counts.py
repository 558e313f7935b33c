"""Pinned query counts: the dashboard's pages cost the same whatever the number of cases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.dashboard.tests.conftest import build_history

pytestmark = pytest.mark.django_db

# Ceilings. The exact number depends on the calendar, not on the cases: a period that spans whole
# months reads the monthly rollups and the days at either end (analytics.selectors), and a lookup of
# names is skipped when there is nothing to name.
PAGES = {
    # + 1 each: the reply-quality averages per department (one grouped query); + 1: the hot issues panel;
    # + 6 on the dashboard, + 3 on the screen: the volunteer figures (volunteers.stats); + 1 on the
    # dashboard: the evaluation card (the open round, its scores kept until its next observation)
    "/dashboard/?period=quarter": 27,
    "/dashboard/?period=quarter&street=150603001&category=matter:06013": 29,
    "/dashboard/cases/?period=quarter&metric=reported&by=street&key=none": 6,
    "/dashboard/screen.json": 23,
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
    for url, ceiling in PAGES.items():
        assert few[url] <= ceiling and many[url] <= ceiling, (url, few[url], many[url])
        assert abs(many[url] - few[url]) <= 1, (url, few[url], many[url])  # three times the cases, same cost
