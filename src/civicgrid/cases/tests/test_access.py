"""Who sees which case (visible_cases, GET /api/cases, GET /api/cases/{n}) and whose personal data."""

from __future__ import annotations

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.cases.access import visible_cases
from civicgrid.cases.tests.helpers import LAKE, NORTH_1, NORTH_2, as_user, east_of, move, submit
from civicgrid.cases.workflow import case_me_too
from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def matrix(routed_world, categories):
    """Five cases with different reporters, cells and departments.

    mine      王芳's report in 李强's cell, dispatched to 住建局市政科 (section of 住建局)
    followed  赵丽's report in cell …002, dispatched to 园林绿化中心; 王芳 said "me too"
    lake      赵丽's report in the lake (no cell), not registered
    in_cell   赵丽's report in 李强's cell, registered, no department yet
    bureau    赵丽's report in cell …002, dispatched to 住建局 itself
    """
    w = routed_world
    zhao = user_create(phone="13900000011", password=PASSWORD, real_name="赵丽", role=Role.CITIZEN)
    mine = submit(w.citizen, NORTH_1, category=categories["06013"], contact_phone="13912345678")
    move(mine, "register", w.dispatcher)
    move(mine, "dispatch", w.dispatcher)
    followed = submit(zhao, NORTH_2, category=categories["04002"])
    move(followed, "register", w.dispatcher)
    move(followed, "dispatch", w.dispatcher)
    case_me_too(case=followed, user=w.citizen)
    lake = submit(zhao, LAKE, category=categories["06010"])
    in_cell = submit(zhao, east_of(NORTH_1, 300), category=categories["09006"])
    move(in_cell, "register", w.dispatcher)
    bureau = submit(zhao, east_of(NORTH_2, 300), category=categories["06013"])
    move(bureau, "register", w.dispatcher)
    move(bureau, "dispatch", w.dispatcher, department=w.departments["ZJJ"])
    cases = dict(mine=mine, followed=followed, lake=lake, in_cell=in_cell, bureau=bureau)
    return zhao, cases


ALL = {"mine", "followed", "lake", "in_cell", "bureau"}
VISIBLE = {
    "citizen": {"mine", "followed"},
    "zhao": {"followed", "lake", "in_cell", "bureau"},
    "grid_member": {"mine", "in_cell"},
    "dispatcher": ALL,
    "leader": ALL,
    "admin": ALL,
    "roads_handler": {"mine"},
    "parks_handler": {"followed"},
    "department_admin": {"mine", "bureau"},
    "inspector": set(),
}


def persona(world, zhao, name):
    return zhao if name == "zhao" else getattr(world, name)


@pytest.mark.parametrize("name", list(VISIBLE))
def test_visible_cases_matrix(client, routed_world, matrix, name):
    zhao, cases = matrix
    user = persona(routed_world, zhao, name)
    by_number = {c.number: key for key, c in cases.items()}
    seen = {by_number[n] for n in visible_cases(user).values_list("number", flat=True)}
    assert seen == VISIBLE[name]
    # The list endpoint says the same, without duplicates from the joins.
    rows = as_user(client, user).get("/api/cases", {"limit": 200}).json()
    assert sorted(by_number[r["number"]] for r in rows) == sorted(VISIBLE[name])
    # Detail: 200 for visible cases, 404 (not 403: existence is not revealed) for the others.
    for key, case in cases.items():
        r = client.get(f"/api/cases/{case.number}")
        expected = 200 if key in VISIBLE[name] else 404
        assert r.status_code == expected, (name, key)
        if expected == 404:
            assert r.json()["error"] == "case_not_found"


def test_a_returned_case_leaves_the_departments_view(routed_world, matrix):
    zhao, cases = matrix
    move(cases["mine"], "return", routed_world.roads_handler, "非本科室")
    assert not visible_cases(routed_world.roads_handler).filter(pk=cases["mine"].pk).exists()
    assert not visible_cases(routed_world.department_admin).filter(pk=cases["mine"].pk).exists()


def test_anonymous_sees_nothing(client, matrix):
    assert client.get("/api/cases").status_code == 401
    assert client.get(f"/api/cases/{matrix[1]['mine'].number}").status_code == 401


@pytest.mark.parametrize(
    ("name", "reporter", "phone"),
    [
        ("dispatcher", "王芳", "13912345678"),
        ("leader", "王*", "139****5678"),
        ("roads_handler", "王*", "139****5678"),
        ("department_admin", "王*", "139****5678"),
        ("grid_member", "王*", "139****5678"),
        ("citizen", "王芳", "13912345678"),  # the reporter themself
    ],
)
def test_reporter_identity_is_masked_except_for_the_centre(
    client, routed_world, matrix, name, reporter, phone
):
    zhao, cases = matrix
    body = as_user(client, persona(routed_world, zhao, name)).get(f"/api/cases/{cases['mine'].number}").json()
    assert (body["reporter"], body["contact_phone"]) == (reporter, phone)
    report_event = body["events"][0]
    assert report_event["action"] == "report" and report_event["actor"] == reporter
    # Staff actors are named to staff; the citizen reads the unit (cases.access.event_actor_for).
    assert body["events"][1]["actor"] == ("指挥中心" if name == "citizen" else "张伟")


def test_follower_does_not_see_the_reporters_identity(client, routed_world, matrix):
    zhao, cases = matrix
    body = as_user(client, routed_world.citizen).get(f"/api/cases/{cases['followed'].number}").json()
    assert body["reporter"] == "赵*"
    assert body["allowed_actions"] == []


def test_names_of_neighbours_who_said_me_too_are_masked(client, routed_world, matrix):
    """Citizens who joined a case are reporters too: staff outside the centre see 赵*, other citizens 市民."""
    zhao, cases = matrix
    case_me_too(case=cases["mine"], user=zhao)

    def me_too_actors(user) -> list[str]:
        body = as_user(client, user).get(f"/api/cases/{cases['mine'].number}").json()
        return [e["actor"] for e in body["events"] if e["action"] == "me_too"]

    assert me_too_actors(routed_world.dispatcher) == ["赵丽"]
    assert me_too_actors(zhao) == ["赵丽"]  # oneself
    assert me_too_actors(routed_world.roads_handler) == ["赵*"]
    assert me_too_actors(routed_world.grid_member) == ["赵*"]
    # The reporter sees her own data, not her neighbour's: another citizen, as on the H5 page.
    assert me_too_actors(routed_world.citizen) == ["市民"]


PERSONAS = [
    "citizen",
    "grid_member",
    "dispatcher",
    "roads_handler",
    "parks_handler",
    "department_admin",
    "inspector",
    "leader",
    "admin",
]


def test_can_view_agrees_with_visible_cases_for_every_persona_and_case(routed_world, matrix):
    """The single-case check (access_case) and the list (visible_cases) must never disagree."""
    from civicgrid.cases.access import can_view, visible_cases

    zhao, cases = matrix
    for name in [*PERSONAS, "zhao"]:
        user = zhao if name == "zhao" else getattr(routed_world, name)
        listed = set(visible_cases(user).values_list("pk", flat=True))
        for key, case in cases.items():
            assert can_view(user, case) == (case.pk in listed), (name, key)
