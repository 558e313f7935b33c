"""可能重复: open cases like a report — text, distance and age, any category; each viewer's own view."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.cases.similar import similar_open_cases
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, as_user, east_of, local, move, north_of, submit

QUERY = "人行道上有一处坑洞，行人容易绊倒"
SAME = "人行道上有一处坑洞，行人容易绊倒"
REWORDED = "人行道有个坑洞，晚上看不清"
UNRELATED = "小区门口垃圾桶满了没人清运"


@pytest.fixture
def now():
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as traveller:
        yield traveller


def numbers(found):
    return [s.case.number for s in found]


def test_same_text_near_beats_reworded_near_beats_same_text_far(routed_world, now):
    w = routed_world
    far = submit(w.citizen, north_of(NORTH_1, 280), description=SAME)
    reworded = submit(w.grid_member, east_of(NORTH_1, 20), description=REWORDED)
    same = submit(w.dispatcher, east_of(NORTH_1, 10), description=SAME)
    unrelated = submit(w.citizen, east_of(NORTH_1, 5), description=UNRELATED)
    outside = submit(w.citizen, north_of(NORTH_1, 400), description=SAME)
    found = similar_open_cases(text=QUERY, lat=NORTH_1[0], lon=NORTH_1[1], viewer=w.dispatcher)
    assert numbers(found) == [same.number, reworded.number, far.number]
    assert unrelated.number not in numbers(found) and outside.number not in numbers(found)
    top = found[0]
    assert top.similarity == 1.0 and top.distance_m == 10 and top.score > found[1].score > found[2].score


def test_no_category_is_needed_and_a_matching_one_is_a_bonus(routed_world, categories, now):
    w = routed_world
    plain = submit(w.citizen, east_of(NORTH_1, 30), description=REWORDED)
    roads = submit(w.grid_member, east_of(NORTH_1, 30), description=REWORDED, category=categories["06013"])
    rubbish = submit(w.dispatcher, east_of(NORTH_1, 15), description=UNRELATED, category=categories["06010"])
    without = similar_open_cases(text=QUERY, lat=NORTH_1[0], lon=NORTH_1[1], viewer=w.dispatcher)
    assert set(numbers(without)) == {plain.number, roads.number}  # the uncategorised case too
    with_roads = similar_open_cases(
        text=QUERY, lat=NORTH_1[0], lon=NORTH_1[1], viewer=w.dispatcher, category=categories["06013"]
    )
    assert numbers(with_roads)[0] == roads.number and with_roads[0].same_category
    # The category alone offers a case of other words (the same problem said otherwise), ranked last.
    with_rubbish = similar_open_cases(
        text=QUERY, lat=NORTH_1[0], lon=NORTH_1[1], viewer=w.dispatcher, category=categories["06010"]
    )
    assert rubbish.number in numbers(with_rubbish)


def test_old_closed_merged_and_own_case_are_left_out(routed_world, now):
    w = routed_world
    old = submit(w.citizen, east_of(NORTH_1, 10), description=SAME)
    now.shift(timedelta(days=31))
    rejected = submit(w.citizen, east_of(NORTH_1, 10), description=SAME)
    move(rejected, "reject", w.dispatcher, "不属于受理范围")
    itself = submit(w.citizen, east_of(NORTH_1, 10), description=SAME)
    found = similar_open_cases(
        text=QUERY, lat=NORTH_1[0], lon=NORTH_1[1], viewer=w.dispatcher, exclude=itself
    )
    assert old.number not in numbers(found) and rejected.number not in numbers(found)
    assert itself.number not in numbers(found)
    assert numbers(similar_open_cases(text=QUERY, lat=NORTH_1[0], lon=NORTH_1[1], viewer=w.dispatcher)) == [
        itself.number
    ]


def test_the_public_see_joinable_cases_and_text_only_once_registered(routed_world, categories, now):
    w = routed_world
    waiting = submit(w.dispatcher, east_of(NORTH_1, 10), description=SAME + "，13912345678")
    registered = submit(
        w.leader, east_of(NORTH_1, 20), description=SAME + "，电话13912345678", category=categories["06013"]
    )
    move(registered, "register", w.dispatcher)
    private = submit(w.dispatcher, east_of(NORTH_1, 15), description=SAME, is_public=False)
    found = similar_open_cases(text=QUERY, lat=NORTH_1[0], lon=NORTH_1[1], viewer=w.citizen)
    by_number = {s.case.number: s for s in found}
    assert private.number not in by_number
    assert by_number[waiting.number].text == ""  # 待立案，内容暂不公开
    assert (
        "人行道" in by_number[registered.number].text
        and "13912345678" not in by_number[registered.number].text
    )
    # Staff see their own scope instead: the private case too, with its words.
    staff = similar_open_cases(text=QUERY, lat=NORTH_1[0], lon=NORTH_1[1], viewer=w.dispatcher)
    assert private.number in numbers(staff)


def test_staff_see_only_their_scope(routed_world, now):
    w = routed_world
    case = submit(w.citizen, NORTH_2, description=SAME)  # a cell without grid member, not dispatched
    for viewer, seen in ((w.dispatcher, True), (w.roads_handler, False), (w.grid_member, False)):
        found = similar_open_cases(text=QUERY, lat=NORTH_2[0], lon=NORTH_2[1], viewer=viewer, public=False)
        assert (case.number in numbers(found)) is seen, viewer


def test_the_candidates_come_from_one_bounding_box_query(routed_world, now):
    for i in range(5):
        submit(routed_world.citizen, east_of(NORTH_1, 40 * i), description=SAME)
    with CaptureQueriesContext(connection) as queries:
        similar_open_cases(text=QUERY, lat=NORTH_1[0], lon=NORTH_1[1], viewer=routed_world.dispatcher)
    case_queries = [q["sql"] for q in queries.captured_queries if '"cases_case"' in q["sql"]]
    assert len(case_queries) == 1
    sql = case_queries[0]
    assert '"lon" >=' in sql and '"lat" <=' in sql  # the indexed columns, never a full scan


def test_the_api_lists_similar_cases_with_its_schema(routed_world, categories, now):
    w = routed_world
    case = submit(w.dispatcher, east_of(NORTH_1, 10), description=SAME, category=categories["06013"])
    move(case, "register", w.dispatcher)
    client = as_user(Client(), w.citizen)
    response = client.get("/api/cases/similar", {"text": QUERY, "lat": NORTH_1[0], "lon": NORTH_1[1]})
    assert response.status_code == 200, response.content
    [row] = response.json()
    assert row["number"] == case.number and row["distance_m"] == 10 and row["similarity"] == 1.0
    assert row["status_label"] and row["text"] and row["age_days"] == 0 and row["same_category"] is False
    schema = Client().get("/api/openapi.json").json()
    assert "/api/cases/similar" in schema["paths"]


def test_the_api_refuses_bad_input(routed_world, now):
    client = as_user(Client(), routed_world.citizen)
    assert client.get("/api/cases/similar", {"text": QUERY, "lat": 39.5, "lon": 109.7}).status_code == 422
    blank = client.get("/api/cases/similar", {"text": "  ", "lat": NORTH_1[0], "lon": NORTH_1[1]})
    assert blank.status_code == 422 and blank.json()["field"] == "text"
    assert client.get("/api/cases/similar", {"text": QUERY, "lat": "x", "lon": 1}).status_code == 422
    assert (
        Client().get("/api/cases/similar", {"text": QUERY, "lat": NORTH_1[0], "lon": NORTH_1[1]}).status_code
        == 401
    )


def test_the_bounding_box_can_be_served_by_the_lonlat_index(routed_world, now):
    from civicgrid.cases.models import Case
    from civicgrid.cases.similar import OPEN_STATUSES, box_around, candidates
    from civicgrid.cases.tests.test_index_plans import plan

    submit(routed_world.citizen, NORTH_1, description=SAME)
    qs = candidates(Case.objects.all(), lat=NORTH_1[0], lon=NORTH_1[1], when=local(2026, 11, 23, 9, 0))
    assert qs.count() == 1
    # The box alone: the candidates' other conditions (a number is set) could also be read from the unique
    # index on the number, which a planner may pick on a nearly empty table.
    box = Case.objects.in_bbox(*box_around(NORTH_1[0], NORTH_1[1], 300)).filter(status__in=OPEN_STATUSES)
    assert "case_lonlat_idx" in plan(box, only="case_lonlat_idx")
