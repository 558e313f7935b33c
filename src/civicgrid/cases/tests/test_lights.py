"""Traffic lights: green, yellow from 80 % of the limit, red once overdue — on the case and as a list filter."""

from __future__ import annotations

import pytest
import time_machine

from civicgrid.cases.tests.helpers import LAKE, NORTH_1, NORTH_2, as_user, local, move, run_to, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(routed_world, categories):
    """Reported on Monday 2026-11-23 (2 working hours to register):

    - early: 09:00 → yellow from 10:36 (1.6 h), due 11:00;
    - late: 11:00 → yellow from 15:06 (1 h before noon, 0.6 h after 14:30), due 15:30;
    - parked: 09:00, put on the long-term list at once → no clock.
    """
    w = routed_world
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as t:
        early = submit(w.citizen, NORTH_1, category=categories["06013"])
        parked = submit(w.citizen, LAKE, category=categories["04002"])
        move(parked, "register", w.dispatcher)
        move(parked, "hang", w.dispatcher, "等待改造")
        t.move_to(local(2026, 11, 23, 11, 0))
        late = submit(w.citizen, NORTH_2, category=categories["06013"])
    return {"early": early, "late": late, "parked": parked}


def lights(client, cases) -> dict[str, str]:
    out = {}
    for name, case in cases.items():
        r = client.get(f"/api/cases/{case.number}")
        assert r.status_code == 200
        out[name] = r.json()["light"]
    return out


def filtered(client, cases, light: str) -> set[str]:
    r = client.get("/api/cases", {"light": light})
    assert r.status_code == 200, r.content
    by_number = {c.number: name for name, c in cases.items()}
    rows = r.json()
    assert all(row["light"] == light for row in rows)
    return {by_number[row["number"]] for row in rows}


MOMENTS = [
    # (local time on Monday 2026-11-23, early, late)
    ((11, 0, 0), "yellow", "green"),  # early: due exactly now, not yet overdue
    ((11, 0, 1), "red", "green"),
    ((13, 0, 0), "red", "green"),  # lunch: no working time passes, late stays green
    ((15, 5, 59), "red", "green"),
    ((15, 6, 0), "red", "yellow"),  # 80 % of 2 working hours used
    ((15, 30, 0), "red", "yellow"),
    ((15, 30, 1), "red", "red"),
]


@pytest.mark.parametrize(
    ("hms", "early", "late"), MOMENTS, ids=[f"{h:02d}{m:02d}{s:02d}" for (h, m, s), _, _ in MOMENTS]
)
def test_lights_change_with_working_time(client, routed_world, cases, hms, early, late):
    as_user(client, routed_world.dispatcher)
    with time_machine.travel(local(2026, 11, 23, *hms), tick=False):
        assert lights(client, cases) == {"early": early, "late": late, "parked": "none"}
        for light in ("green", "yellow", "red", "none"):
            expected = {
                name
                for name, value in {"early": early, "late": late, "parked": "none"}.items()
                if value == light
            }
            assert filtered(client, cases, light) == expected, light


def test_early_case_goes_green_yellow_red(client, routed_world, cases):
    as_user(client, routed_world.dispatcher)
    seen = []
    for hm in ((9, 0), (10, 35), (10, 36), (11, 1)):
        with time_machine.travel(local(2026, 11, 23, *hm), tick=False):
            seen.append(lights(client, {"early": cases["early"]})["early"])
    assert seen == ["green", "green", "yellow", "red"]


def test_a_finished_step_restarts_the_light(client, routed_world, cases):
    as_user(client, routed_world.dispatcher)
    with time_machine.travel(local(2026, 11, 23, 11, 30), tick=False) as t:
        assert lights(client, {"early": cases["early"]})["early"] == "red"
        move(cases["early"], "register", routed_world.dispatcher)  # late, but a new 1 h 派遣 clock starts
        assert lights(client, {"early": cases["early"]})["early"] == "green"
        t.move_to(local(2026, 11, 23, 15, 0))  # 11:30–12:00 + 14:30–15:00 = 1 h: due now
        assert lights(client, {"early": cases["early"]})["early"] == "yellow"


def test_closed_case_has_no_light(client, routed_world, cases):
    with time_machine.travel(local(2026, 11, 23, 10, 0), tick=False):
        run_to(cases["early"], "closed", routed_world)
    with time_machine.travel(local(2026, 12, 31, 10, 0), tick=False):
        as_user(client, routed_world.dispatcher)  # a session from "now" would have expired by then
        assert lights(client, {"early": cases["early"]})["early"] == "none"
        assert "early" in filtered(client, cases, "none")


def test_light_filter_respects_visibility(client, routed_world, cases):
    with time_machine.travel(local(2026, 11, 23, 16, 0), tick=False):
        as_user(client, routed_world.roads_handler)  # no case of theirs yet
        assert client.get("/api/cases", {"light": "red"}).json() == []
