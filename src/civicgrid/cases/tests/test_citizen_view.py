"""What a citizen who reported or follows a case reads in the API: the units that acted, never the staff's
names, and none of the centre's internal steps or their notes — as on the H5 page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civicgrid.accounts.services import user_create
from civicgrid.cases.tests.helpers import NORTH_1, as_user, move, run_to, submit
from civicgrid.cases.workflow import case_me_too

pytestmark = pytest.mark.django_db

STAFF_NAMES = ("张伟", "刘洋", "陈静", "赵敏")


@pytest.fixture
def case(routed_world, categories):
    case = submit(routed_world.citizen, NORTH_1, category=categories["06013"], description="人行道有坑")
    case = run_to(case, "accepted", routed_world)
    handler = routed_world.roads_handler if case.department.code == "ZJJ-SZ" else routed_world.parks_handler
    move(case, "request_extension", handler, "材料未到，内部协调中", hours=Decimal(8))
    move(case, "supervise", routed_world.leader, "领导批示：尽快处理")
    return case


@pytest.fixture
def follower(routed_world, case):
    person = user_create(phone="13911112222", real_name="赵六")
    case_me_too(case=case, user=person)
    return person


def events(client, user, number: str) -> list[dict]:
    r = as_user(client, user).get(f"/api/cases/{number}")
    assert r.status_code == 200, r.content
    return r.json()["events"]


@pytest.mark.parametrize("who", ["reporter", "follower"])
def test_a_citizen_reads_units_not_names_and_no_internal_steps(client, routed_world, case, follower, who):
    user = routed_world.citizen if who == "reporter" else follower
    rows = events(client, user, case.number)
    text = str(rows)
    assert not any(name in text for name in STAFF_NAMES), text
    assert "内部协调中" not in text and "领导批示" not in text
    actions = [e["action"] for e in rows]
    assert "request_extension" not in actions and "supervise" not in actions
    by_action = {e["action"]: e["actor"] for e in rows}
    assert by_action["register"] == "指挥中心" and by_action["dispatch"] == "指挥中心"
    assert by_action["accept"] == case.department.name  # the handler's department, not the handler
    # Their own step under their own name; another citizen's as "市民".
    assert by_action["report"] == ("王芳" if who == "reporter" else "市民")
    assert by_action["me_too"] == ("赵六" if who == "follower" else "市民")


def test_staff_still_read_names_and_every_note(client, routed_world, case, follower):
    rows = events(client, routed_world.dispatcher, case.number)
    by_action = {e["action"]: e for e in rows}
    assert by_action["register"]["actor"] == "张伟"
    assert by_action["supervise"]["note"] == "领导批示：尽快处理"
    assert by_action["request_extension"]["note"] == "材料未到，内部协调中"


def test_an_unrelated_citizen_reads_nothing(client, routed_world, case):
    stranger = user_create(phone="13933334444", real_name="钱七")
    r = as_user(client, stranger).get(f"/api/cases/{case.number}")
    assert r.status_code == 404 and "张伟" not in r.content.decode()


def test_a_follower_reads_the_text_as_the_public_do(client, routed_world, categories):
    case = submit(
        routed_world.citizen, NORTH_1, category=categories["06013"], description="张三 13712345678 挖的坑"
    )
    neighbour = user_create(phone="13911112222", real_name="赵六")
    case_me_too(case=case, user=neighbour)
    as_user(client, neighbour)
    assert client.get(f"/api/cases/{case.number}").json()["description"] == "张三 137******** 挖的坑"
    assert [c["description"] for c in client.get("/api/cases").json()] == ["张三 137******** 挖的坑"]
    as_user(client, routed_world.citizen)  # the reporter reads her own words
    assert client.get(f"/api/cases/{case.number}").json()["description"] == "张三 13712345678 挖的坑"
