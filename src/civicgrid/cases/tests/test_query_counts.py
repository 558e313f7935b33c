"""Pinned query counts: the case list and the case detail cost a fixed number of queries.

The list must not issue a query per row (category, cell, street and department are joined), and
the detail must not issue a query per event or photo.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.cases.tests.helpers import as_user, jpeg_bytes, move, run_to, submit

pytestmark = pytest.mark.django_db

# Session, user, the page of cases; a bureau admin also walks its department tree (one query per
# level: 住建局 → 市政科 → none).
LIST_QUERIES = {"dispatcher": 3, "citizen": 3, "roads_handler": 3, "grid_member": 3, "department_admin": 5}
# Session, user, the case, its events, photos, deadlines, duplicates, and whether an extension is pending.
DETAIL_QUERIES = 8


def spread(start: int, n: int) -> list[tuple[float, float]]:
    """Points ≥ 100 m apart in the north community (no two reports are duplicates)."""
    return [(39.611 + (i // 6) * 0.0012, 109.761 + (i % 6) * 0.0015) for i in range(start, start + n)]


def make_cases(world, categories, n: int, *, start: int = 0) -> list:
    """n cases of five categories; every third one (with a routing rule) dispatched."""
    codes = ["06013", "04002", "06010", "01003", "09006"]
    cases = []
    for i, point in enumerate(spread(start, n), start=start):
        code = codes[i % len(codes)]
        case = submit(world.citizen, point, category=categories[code])
        if i % 3 == 0 and code in ("06013", "01003"):
            run_to(case, "dispatched", world)
        cases.append(case)
    return cases


def count_queries(client, url: str, **params) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url, params)
    assert r.status_code == 200, r.content
    return len(ctx), r


@pytest.mark.parametrize(
    "persona", ["dispatcher", "citizen", "roads_handler", "department_admin", "grid_member"]
)
def test_case_list_costs_the_same_for_5_and_30_cases(
    client, routed_world, categories, persona, django_assert_max_num_queries
):
    as_user(client, getattr(routed_world, persona))
    make_cases(routed_world, categories, 5)
    few, r = count_queries(client, "/api/cases", limit=200)
    few_rows = len(r.json())
    make_cases(routed_world, categories, 25, start=5)
    many, r = count_queries(client, "/api/cases", limit=200)
    assert len(r.json()) > few_rows  # every persona sees more rows now …
    assert many == few  # … for the same number of queries
    with django_assert_max_num_queries(LIST_QUERIES[persona]):
        client.get("/api/cases", {"limit": 200})


def test_case_list_of_30_for_the_centre(client, routed_world, categories, django_assert_max_num_queries):
    make_cases(routed_world, categories, 30)
    as_user(client, routed_world.dispatcher)
    with django_assert_max_num_queries(LIST_QUERIES["dispatcher"]):
        r = client.get("/api/cases", {"limit": 200})
    assert len(r.json()) == 30


def history(world, categories, point, rounds: int, photos: int):
    """A dispatched roads case after `rounds` return/re-dispatch rounds, with `photos` report photos."""
    case = submit(
        world.citizen,
        point,
        category=categories["06013"],
        photos=tuple(jpeg_bytes(colour=(i * 30 % 255, 10, 10)) for i in range(photos)),
    )
    run_to(case, "dispatched", world)
    for _ in range(rounds):
        move(case, "return", world.roads_handler, "不归我们")
        move(case, "dispatch", world.dispatcher)
    return case


@pytest.mark.parametrize("persona", ["dispatcher", "roads_handler", "citizen"])
def test_case_detail_costs_the_same_for_a_short_and_a_long_history(
    client, routed_world, categories, persona, django_assert_max_num_queries
):
    short = history(routed_world, categories, (39.611, 109.761), rounds=0, photos=0)
    long = history(routed_world, categories, (39.617, 109.768), rounds=6, photos=4)
    as_user(client, getattr(routed_world, persona))
    n_short, r_short = count_queries(client, f"/api/cases/{short.number}")
    n_long, r_long = count_queries(client, f"/api/cases/{long.number}")
    assert len(r_long.json()["events"]) == len(r_short.json()["events"]) + 12
    assert len(r_long.json()["photos"]) == 4
    assert n_long == n_short
    with django_assert_max_num_queries(DETAIL_QUERIES):
        client.get(f"/api/cases/{long.number}")
