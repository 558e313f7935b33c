"""Performance indicators (GET /api/cases/indicators) against a week of cases computed by hand.

The week is Monday 2026-11-23 to Friday 2026-11-27 ([start, end) = [11-23, 11-28)); working hours
08:30–12:00 and 14:30–18:00. Seven cases, built through the service layer at the times given:

| case | cat   | cell | story (✓ on time, ✗ late)                                                                  |
|------|-------|------|--------------------------------------------------------------------------------------------|
| A    | 06013 | N1   | Mon 09:00 report, 09:30 register ✓, 10:00 dispatch 市政科, Tue 10:00 feedback ✓ (due Thu   |
|      |       |      | 10:00), 11:00 verify, 14:40 close ✓, 15:00 rated 满意                                       |
| B    | 06013 | N2   | Mon 09:00 report, 15:00 register ✗ (due 11:00), 15:10 dispatch 市政科, Fri 09:00 feedback ✗  |
|      |       |      | (due Thu 15:10), 09:30 rework, 10:00 feedback ✓, 10:30 verify, 11:00 close, 11:30 rated     |
|      |       |      | 不满意 → reopened (open at the end)                                                        |
| C    | 04002 | N1   | Mon 10:00 report, 10:30 register ✓ (routed 园林), 10:45 dispatched to 市政科 by mistake,    |
|      |       |      | 11:00 returned, 11:10 dispatched to 园林, Tue 09:00 feedback ✓, 09:30 verified by the grid |
|      |       |      | member, 10:00 close ✓, 11:00 rated 基本满意                                                |
| D    | 06013 | N1   | Mon 11:00 grid member's report (grid channel) → registered at once ✓, 11:30 dispatch       |
|      |       |      | 市政科, accepted; feedback only on Mon 11-30 (after the period)                             |
| E    | 04002 | N2   | Mon 14:00 report, Wed 09:00 register ✗ (due Mon 16:30), 09:10 dispatch 园林, 10:00 feedback ✓,|
|      |       |      | 10:30 verify, 16:00 close ✗ (due 15:00), not rated                                          |
| F    | 06013 | N2   | Fri 11-20 report and register (before the period), Mon 09:00 dispatch 市政科, accepted       |
| G    | 06013 | N1   | Mon 09:00 report, 09:10 rejected                                                            |
"""

from __future__ import annotations

import pytest
import time_machine

from civicgrid.cases.photos import process_photo
from civicgrid.cases.tests.helpers import (
    NORTH_1,
    NORTH_2,
    as_user,
    east_of,
    jpeg_bytes,
    local,
    move,
    north_of,
    submit,
)

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-11-23", "end": "2026-11-28"}


def nov(day: int, hour: int, minute: int = 0):
    return local(2026, 11, day, hour, minute)


@pytest.fixture
def week(routed_world, categories):
    w = routed_world
    roads, parks = w.departments["ZJJ_SZ"], w.departments["YLZX"]
    road, tree = categories["06013"], categories["04002"]
    with time_machine.travel(nov(20, 9), tick=False) as t:

        def step(day, hour, minute=0):
            t.move_to(nov(day, hour, minute))

        f = submit(w.citizen, east_of(NORTH_2, 200), category=road)
        step(20, 9, 30)
        move(f, "register", w.dispatcher)

        step(23, 9)
        a = submit(w.citizen, NORTH_1, category=road)
        b = submit(w.citizen, NORTH_2, category=road)
        g = submit(w.citizen, north_of(NORTH_1, -300), category=road)
        move(f, "dispatch", w.dispatcher)
        move(f, "accept", w.roads_handler)
        step(23, 9, 10)
        move(g, "reject", w.dispatcher, "描述不清")
        step(23, 9, 30)
        move(a, "register", w.dispatcher)
        step(23, 10)
        move(a, "dispatch", w.dispatcher)
        move(a, "accept", w.roads_handler)
        c = submit(w.citizen, NORTH_1, category=tree)
        step(23, 10, 30)
        move(c, "register", w.dispatcher)
        step(23, 10, 45)
        move(c, "dispatch", w.dispatcher, department=roads)
        step(23, 11)
        move(c, "return", w.roads_handler, "行道树归园林")
        d = submit(w.grid_member, east_of(NORTH_1, 100), category=road, channel="grid")
        assert d.status == "registered"
        step(23, 11, 10)
        move(c, "dispatch", w.dispatcher, department=parks)
        step(23, 11, 15)
        move(c, "accept", w.parks_handler)
        step(23, 11, 30)
        move(d, "dispatch", w.dispatcher)
        step(23, 11, 40)
        move(d, "accept", w.roads_handler)
        step(23, 14)
        e = submit(w.citizen, NORTH_2, category=tree)
        step(23, 15)
        move(b, "register", w.dispatcher)
        step(23, 15, 10)
        move(b, "dispatch", w.dispatcher)
        step(23, 15, 20)
        move(b, "accept", w.roads_handler)

        step(24, 9)
        move(c, "feedback", w.parks_handler, "已修剪")
        step(24, 9, 30)
        move(c, "verify", w.grid_member, "现场已修剪", photos=[process_photo(jpeg_bytes())])
        step(24, 10)
        move(a, "feedback", w.roads_handler, "已修补")
        move(c, "close", w.dispatcher)
        step(24, 11)
        move(a, "verify", w.dispatcher)
        move(c, "rate", w.citizen, rating="basically")
        step(24, 14, 40)
        move(a, "close", w.dispatcher)
        step(24, 15)
        move(a, "rate", w.citizen, rating="satisfied")

        step(25, 9)
        move(e, "register", w.dispatcher)
        step(25, 9, 10)
        move(e, "dispatch", w.dispatcher)
        move(e, "accept", w.parks_handler)
        step(25, 10)
        move(e, "feedback", w.parks_handler, "已处理")
        step(25, 10, 30)
        move(e, "verify", w.dispatcher)
        step(25, 16)
        move(e, "close", w.dispatcher)

        step(27, 9)
        move(b, "feedback", w.roads_handler, "已修补")
        step(27, 9, 30)
        move(b, "rework", w.dispatcher, "仍有坑洞")
        step(27, 10)
        move(b, "feedback", w.roads_handler, "重新修补")
        step(27, 10, 30)
        move(b, "verify", w.dispatcher)
        step(27, 11)
        move(b, "close", w.dispatcher)
        step(27, 11, 30)
        move(b, "rate", w.citizen, rating="unsatisfied")
        assert b.status == "dispatched"

        step(30, 9)
        move(d, "feedback", w.roads_handler, "已修补")

    # The stories above really happened as told (✓/✗ of each step).
    def on_time(case):
        return [(d.step, d.on_time) for d in case.deadlines.order_by("started_at", "id")]

    assert on_time(a) == [
        ("register", True),
        ("dispatch", True),
        ("handle", True),
        ("verify", True),
        ("close", True),
    ]
    assert on_time(b)[0] == ("register", False)
    assert on_time(b)[2] == ("handle", False)
    assert on_time(e) == [
        ("register", False),
        ("dispatch", True),
        ("handle", True),
        ("verify", True),
        ("close", False),
    ]
    return dict(a=a, b=b, c=c, d=d, e=e, f=f, g=g)


def indicators(client, user, group: str, **extra) -> list[dict]:
    r = as_user(client, user).get("/api/cases/indicators", {"group": group, **PERIOD, **extra})
    assert r.status_code == 200, r.content
    return r.json()["rows"]


def row_of(rows, code):
    [row] = [r for r in rows if r["code"] == code]
    return row


def test_department_indicators(client, routed_world, week):
    rows = indicators(client, routed_world.leader, "department")
    assert [(r["code"], r["rank"]) for r in rows] == [("YLZX", 1), ("ZJJ-SZ", 2)]

    roads = row_of(rows, "ZJJ-SZ")
    expected_roads = {
        "registered": 3,  # A, B, D routed here (F's registration was before the period)
        "on_time_registration_rate": 0.6667,  # A, D (B late)
        "dispatched": 5,  # A, B, C (by mistake), D, F
        "dispatch_accuracy": 0.8,  # (5 − 1 return) / 5
        "handled": 3,  # A, B twice (D's feedback is after the period)
        "handling_rate": 0.6,  # 3 / 5
        "on_time_handling_rate": 0.6667,  # A and B's second feedback
        "rework_rate": 0.3333,  # 1 / 3
        "due_to_close": 3,  # A, B, D registered in the period, now with 市政科
        "closed": 1,  # A (B was reopened)
        "closing_rate": 0.3333,
        "on_time_closing_rate": 0.3333,
        "rated": 2,
        "satisfaction_rate": 0.5,  # A 满意, B 不满意
        "grid_report_rate": 0.3333,  # D
        # 10 % × 100 (≤ 50 to handle) + 30 × 0.6 + 30 × 0.6667 + 30 × (1 − 0.3333)
        "composite": 68.0,
    }
    assert {k: roads[k] for k in expected_roads} == expected_roads

    parks = row_of(rows, "YLZX")
    expected_parks = {
        "registered": 2,
        "on_time_registration_rate": 0.5,  # C ✓, E ✗
        "dispatched": 2,
        "dispatch_accuracy": 1.0,
        "handled": 2,
        "handling_rate": 1.0,
        "on_time_handling_rate": 1.0,
        "rework_rate": 0.0,
        "due_to_close": 2,
        "closed": 2,
        "closing_rate": 1.0,
        "on_time_closing_rate": 0.5,  # C; E was registered and closed late
        "rated": 1,
        "satisfaction_rate": 1.0,  # C 基本满意
        "grid_report_rate": 0.0,
        "composite": 100.0,
    }
    assert {k: parks[k] for k in expected_parks} == expected_parks
    assert parks["name"] == "园林绿化中心"


def test_cell_indicators(client, routed_world, week):
    rows = indicators(client, routed_world.leader, "cell")
    assert [(r["code"], r["rank"]) for r in rows] == [("150603001001001", 1), ("150603001001002", 2)]

    north_1 = row_of(rows, "150603001001001")  # A, C, D (and the rejected G)
    expected_1 = {
        "registered": 3,
        "on_time_registration_rate": 1.0,
        "dispatched": 4,
        "dispatch_accuracy": 0.75,  # A, C twice, D; one return
        "handled": 2,
        "handling_rate": 0.5,
        "on_time_handling_rate": 1.0,
        "rework_rate": 0.0,
        "due_to_close": 3,
        "closed": 2,
        "closing_rate": 0.6667,
        "on_time_closing_rate": 0.6667,
        "rated": 2,
        "satisfaction_rate": 1.0,
        "grid_report_rate": 0.3333,
        # (10 × 0.3333 + 20 % × 100 + 30 × 0.6667 + 10 × 0.6667) / 0.7 = 50.001 / 0.7
        "composite": 71.43,
    }
    assert {k: north_1[k] for k in expected_1} == expected_1

    north_2 = row_of(rows, "150603001001002")  # B, E (and F, registered before the period)
    expected_2 = {
        "registered": 2,
        "on_time_registration_rate": 0.0,
        "dispatched": 3,
        "dispatch_accuracy": 1.0,  # B, E, F
        "handled": 3,
        "handling_rate": 1.0,
        "on_time_handling_rate": 0.6667,
        "rework_rate": 0.3333,
        "due_to_close": 2,
        "closed": 1,
        "closing_rate": 0.5,
        "on_time_closing_rate": 0.0,
        "rated": 1,
        "satisfaction_rate": 0.0,
        "grid_report_rate": 0.0,
        "composite": 50.0,  # (0 + 20 + 15 + 0) / 0.7
    }
    assert {k: north_2[k] for k in expected_2} == expected_2


def test_street_indicators(client, routed_world, week):
    [street] = indicators(client, routed_world.leader, "street")
    expected = {
        "code": "150603001",
        "name": "青春山街道",
        "rank": 1,
        "registered": 5,
        "on_time_registration_rate": 0.6,
        "dispatched": 7,
        "dispatch_accuracy": 0.8571,
        "handled": 5,
        "handling_rate": 0.7143,
        "on_time_handling_rate": 0.8,
        "rework_rate": 0.2,
        "due_to_close": 5,
        "closed": 3,
        "closing_rate": 0.6,
        "on_time_closing_rate": 0.4,
        "rated": 3,
        "satisfaction_rate": 0.6667,
        "grid_report_rate": 0.2,
        "composite": 62.86,  # (10 × 0.2 + 20 + 30 × 0.6 + 10 × 0.4) / 0.7 = 44 / 0.7
    }
    assert {k: street[k] for k in expected} == expected


def test_street_filter_and_a_quiet_period(client, routed_world, week):
    rows = indicators(client, routed_world.leader, "cell", street="150603001")
    assert len(rows) == 2
    r = client.get(
        "/api/cases/indicators", {"group": "department", "start": "2026-12-07", "end": "2026-12-12"}
    )
    assert r.json()["rows"] == []


def test_unknown_street_is_a_422_not_the_whole_city(client, routed_world, week):
    r = as_user(client, routed_world.leader).get(
        "/api/cases/indicators", {"group": "cell", "street": "150603999", **PERIOD}
    )
    assert (r.status_code, r.json()["error"], r.json()["field"]) == (422, "street_unknown", "street")


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "0001-01-06"), ("2026-11-01", "9999-12-31")])
def test_a_day_beyond_what_the_database_holds_is_a_422(client, routed_world, start, end):
    # Midnight of 0001-01-01 in Asia/Shanghai is in year 0 in UTC: the query answered 500.
    r = as_user(client, routed_world.leader).get(
        "/api/cases/indicators", {"group": "department", "start": start, "end": end}
    )
    assert (r.status_code, r.json()["error"]) == (422, "date_out_of_range")


def test_period_boundaries(client, routed_world, week):
    # Only Friday 11-20: F's registration, nothing else.
    r = as_user(client, routed_world.leader).get(
        "/api/cases/indicators", {"group": "department", "start": "2026-11-20", "end": "2026-11-21"}
    )
    [row] = r.json()["rows"]
    assert (row["code"], row["registered"], row["dispatched"], row["due_to_close"]) == ("ZJJ-SZ", 1, 0, 1)


@pytest.mark.parametrize(
    "persona", ["citizen", "grid_member", "roads_handler", "department_admin", "inspector"]
)
def test_indicators_are_for_leaders_and_the_centre(client, routed_world, persona):
    r = as_user(client, getattr(routed_world, persona)).get(
        "/api/cases/indicators", {"group": "department", **PERIOD}
    )
    assert r.status_code == 403
    assert r.json()["error"] == "forbidden_role"


@pytest.mark.parametrize("persona", ["leader", "dispatcher", "admin"])
def test_indicators_are_open_to_city_wide_roles(client, routed_world, persona):
    r = as_user(client, getattr(routed_world, persona)).get(
        "/api/cases/indicators", {"group": "department", **PERIOD}
    )
    assert r.status_code == 200


def test_bad_group_and_period(client, routed_world):
    as_user(client, routed_world.leader)
    r = client.get("/api/cases/indicators", {"group": "planet", **PERIOD})
    assert (r.status_code, r.json()["error"]) == (422, "group_invalid")
    r = client.get("/api/cases/indicators", {"group": "cell", "start": "2026-11-28", "end": "2026-11-23"})
    assert (r.status_code, r.json()["error"]) == (422, "period_invalid")
