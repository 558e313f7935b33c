"""No console page issues more queries for a longer list: 3 cases or 30, the count is the same.

The pinned numbers are maxima; each test also checks that 30 rows cost exactly what 3 cost.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.console.tests.helpers import NORTH_1, as_user, jpeg, move, report, spread

pytestmark = pytest.mark.django_db

QUEUE_MAX = 12
CASE_MAX = 13  # with the UPDATE that reads the viewer's notifications of the case


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def grow(city, n: int, start: int) -> None:
    """n more cases, each registered, dispatched to roads, supervised: every queue gets rows."""
    for i in range(start, start + n):
        case = report(city.citizen, spread(i), category=city.categories["06013"])
        if i % 3:
            move(case, "register", city.dispatcher)
            move(case, "dispatch", city.dispatcher)
            move(case, "supervise", city.leader)


@pytest.mark.parametrize(
    "persona, queue",
    [
        ("dispatcher", "new"),
        ("dispatcher", "all"),
        ("dispatcher", "extensions"),
        ("roads_handler", "to_accept"),
        ("department_admin", "to_accept"),
        ("leader", "supervised"),
        ("leader", "red"),
    ],
)
def test_queue_pages_cost_a_fixed_number_of_queries(
    client, city, persona, queue, django_assert_max_num_queries
):
    as_user(client, getattr(city, persona))
    grow(city, 3, 0)
    url = f"/console/queue/{queue}/?sort=-created&street=150603001"
    small = queries(client, url)
    grow(city, 27, 3)
    with django_assert_max_num_queries(QUEUE_MAX):
        large = queries(client, url)
    assert large == small
    assert queries(client, url.replace("?", "?page=1&")) == small
    partial = client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200


def test_case_page_costs_a_fixed_number_of_queries(client, city, django_assert_max_num_queries):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"], photos=[jpeg()])
    move(case, "register", city.dispatcher)
    move(case, "dispatch", city.dispatcher)
    as_user(client, city.dispatcher)
    url = f"/console/cases/{case.number}/"
    small = queries(client, url)
    for i in range(27):  # more events, more duplicates, more photos
        report(
            city.grid_member,
            NORTH_1,
            category=city.categories["06013"],
            description=f"同一个坑 {i}",
            photos=[jpeg((i, 100, 100))],
        )
    move(case, "request_extension", city.roads_handler, "需要时间", hours=8)
    move(case, "refuse_extension", city.dispatcher, "不批")
    with django_assert_max_num_queries(CASE_MAX):
        large = queries(client, url)
    assert large == small
    as_user(client, city.roads_handler)
    with django_assert_max_num_queries(CASE_MAX):
        queries(client, url)
