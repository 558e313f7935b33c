"""A department's own system works its cases through the API with a key, as its staff do in the console.

The system's API client acts as an account that is a HANDLER of the department (scopes cases:read and
cases:act): it lists its queue, accepts (签收), feeds back with photos (处置反馈, multipart), returns
with a reason (退回) and asks for more time (申请延期). Nothing is special-cased: the same moves, rules
and events as a person in the console, and every event it makes is its account's.
"""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from standardwebhooks.webhooks import Webhook

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case, CaseEvent, CasePhoto, ExtensionRequest
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, assert_error, jpeg_bytes, post_json, report_body
from civicgrid.core import periodic
from civicgrid.webhooks.tests.conftest import receiver  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


class System:
    """A department system: its account, its client and a bearer key; requests carry no session and
    no CSRF token (the test client enforces CSRF checks, as a browser's would be)."""

    def __init__(self, world, department: str, scopes=("cases:read", "cases:act"), phone="13900000101"):
        self.account = User.objects.create_user(
            phone=phone, role=Role.HANDLER, department=world.departments[department], real_name="系统"
        )
        self.client_row = api_client_create(
            name=f"{department} 业务系统", user=self.account, scopes=list(scopes), kind="department"
        )
        _key, raw = api_key_issue(client=self.client_row)
        self.http = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})

    def get(self, url: str, **params):
        return self.http.get(url, params)

    def move(self, number: str, action: str, **data):
        return post_json(self.http, f"/api/cases/{number}/actions/{action}", data)

    def move_multipart(self, number: str, action: str, data: dict):
        return self.http.post(f"/api/cases/{number}/actions/{action}", data)


def _photo(name: str = "done.jpg") -> io.BytesIO:
    f = io.BytesIO(jpeg_bytes(colour=(30, 160, 60)))
    f.name = name
    return f


def _console(client: Client, user: User, number: str, action: str, data: dict) -> None:
    client.force_login(user)
    response = client.post(f"/console/cases/{number}/actions/{action}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]


def _reported(world, point=NORTH_1) -> str:
    citizen = Client()
    citizen.force_login(world.citizen)
    response = post_json(citizen, "/api/cases", report_body(point, category="06013"))
    assert response.status_code == 201, response.content
    return response.json()["number"]


def _dispatched(world, department: str = "ZJJ-SZ", point=NORTH_1) -> str:
    number = _reported(world, point)
    console = Client()
    _console(console, world.dispatcher, number, "register", {"category": "matter:06013", "note": ""})
    _console(console, world.dispatcher, number, "dispatch", {"department": department, "note": ""})
    return number


def test_a_department_system_works_a_case_end_to_end(routed_world):
    world = routed_world
    system = System(world, "ZJJ_SZ")
    number = _dispatched(world)

    queue = system.get("/api/cases", queue="to_accept")
    assert queue.status_code == 200, queue.content
    assert [c["number"] for c in queue.json()] == [number]
    assert system.get("/api/cases", queue="handling").json() == []

    accepted = system.move(number, "accept")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert "feedback" in accepted.json()["allowed_actions"]
    assert system.get("/api/cases", queue="to_accept").json() == []
    assert [c["number"] for c in system.get("/api/cases", queue="handling").json()] == [number]

    fed_back = system.move_multipart(
        number, "feedback", {"note": "已对破损路面进行修补，恢复通行", "photos": [_photo(), _photo("b.jpg")]}
    )
    assert fed_back.status_code == 200, fed_back.content
    assert fed_back.json()["status"] == "handled"
    feedback = CaseEvent.objects.get(case__number=number, action="feedback")
    assert CasePhoto.objects.filter(case__number=number, event=feedback).count() == 2

    console = Client()
    _console(console, world.dispatcher, number, "verify", {"note": "现场已核实"})
    _console(console, world.dispatcher, number, "close", {"note": ""})
    citizen = Client()
    citizen.force_login(world.citizen)
    rated = post_json(citizen, f"/api/cases/{number}/actions/rate", {"rating": "satisfied"})
    assert rated.status_code == 200, rated.content

    case = Case.objects.get(number=number)
    assert case.status == "closed" and case.rating == "satisfied"
    actions = list(case.events.order_by("id").values_list("action", "actor_id", "actor_role"))
    by_system = [(a, role) for a, actor, role in actions if actor == system.account.pk]
    assert by_system == [("accept", Role.HANDLER), ("feedback", Role.HANDLER)]
    assert [a for a, _actor, _role in actions] == [
        "report",
        "register",
        "dispatch",
        "accept",
        "feedback",
        "verify",
        "close",
        "rate",
    ]


def test_the_system_returns_a_case_with_its_reason(routed_world):
    world = routed_world
    system = System(world, "ZJJ_SZ")
    number = _dispatched(world)
    refused = system.move(number, "return", note="  ")
    assert_error(refused, 422, "note_required")
    returned = system.move(number, "return", note="不属于本科室职责，应由园林绿化中心处理")
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "returned"
    event = CaseEvent.objects.get(case__number=number, action="return")
    assert event.actor_id == system.account.pk and event.note.startswith("不属于本科室职责")
    # Returned: no longer the department's to work, so no longer in its queues.
    assert system.get("/api/cases", queue="to_accept").json() == []


def test_the_system_asks_for_an_extension_in_hours(routed_world):
    world = routed_world
    system = System(world, "ZJJ_SZ")
    number = _dispatched(world)
    assert system.move(number, "accept").status_code == 200
    asked = system.move(number, "request_extension", hours="16", note="需等待沥青材料到货")
    assert asked.status_code == 200, asked.content
    request = ExtensionRequest.objects.get(case__number=number)
    assert request.status == "pending" and request.hours == 16
    assert request.requested_by_id == system.account.pk
    again = system.move(number, "request_extension", hours="8", note="再延")
    assert again.status_code == 409


def test_a_move_the_status_does_not_allow_is_409_with_the_allowed_actions(routed_world):
    world = routed_world
    system = System(world, "ZJJ_SZ")
    number = _dispatched(world)
    before = Case.objects.get(number=number).events.count()
    response = system.move(number, "feedback", note="已修复完毕，路面恢复平整")
    body = assert_error(response, 409, "illegal_transition")
    assert set(body["allowed_actions"]) >= {"accept", "return", "request_extension"}
    assert "feedback" not in body["allowed_actions"]
    assert Case.objects.get(number=number).events.count() == before


def test_another_departments_key_cannot_see_or_touch_the_case(routed_world):
    world = routed_world
    number = _dispatched(world)
    parks = System(world, "YLZX")
    assert_error(parks.move(number, "accept"), 404, "case_not_found")
    assert parks.get(f"/api/cases/{number}").status_code == 404
    assert parks.get("/api/cases", queue="to_accept").json() == []
    assert Case.objects.get(number=number).status == "dispatched"


def test_a_key_without_cases_act_is_refused_with_scope_missing(routed_world):
    world = routed_world
    number = _dispatched(world)
    reader = System(world, "ZJJ_SZ", scopes=("cases:read",))
    assert_error(reader.move(number, "accept"), 403, "scope_missing")
    assert Case.objects.get(number=number).status == "dispatched"


def test_a_queue_the_caller_may_not_open_is_a_clear_error(routed_world):
    system = System(routed_world, "ZJJ_SZ")
    body = assert_error(system.get("/api/cases", queue="to_dispatch"), 422, "queue_invalid", "queue")
    assert "to_accept" in body["message_en"] and "handling" in body["message_en"]
    assert_error(system.get("/api/cases", queue="nothing"), 422, "queue_invalid", "queue")


def test_dispatch_webhook_reaches_the_department_system(routed_world, receiver):  # noqa: F811
    """The whole two-way loop: the system subscribes with its key, a dispatch in the console reaches it
    as a signed webhook (verified here by the Standard Webhooks reference code), and it answers through
    the API: accept, feedback with a photo; the centre verifies and closes in the console."""
    world = routed_world
    system = System(world, "ZJJ_SZ", scopes=("cases:read", "cases:act", "webhooks:manage"))
    created = post_json(
        system.http,
        "/api/webhooks/subscriptions",
        {"url": receiver.url, "events": ["case.dispatched", "case.closed"]},
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert "secret" not in system.get(f"/api/webhooks/subscriptions/{created.json()['id']}").json()

    elsewhere = _dispatched(
        world, department="YLZX", point=NORTH_2
    )  # another department's case: nothing for this system
    number = _dispatched(world)
    periodic.registered()["webhooks.deliver"]()
    assert len(receiver.received) == 1
    headers, body, _path = receiver.received[0]
    message = Webhook(secret).verify(body, headers)
    assert message["type"] == "case.dispatched"
    data = message["data"]
    assert data["number"] == number != elsewhere
    assert data["status"] == "dispatched"
    # Nothing personal without cases:read:personal: not the reporter's phone, not their name.
    assert (
        world.citizen.phone not in body and world.citizen.real_name not in json.loads(body)["data"].values()
    )

    assert system.get(f"/api/cases/{number}").status_code == 200
    assert system.move(number, "accept").status_code == 200
    fed_back = system.move_multipart(number, "feedback", {"note": "路面已修补", "photos": [_photo()]})
    assert fed_back.status_code == 200, fed_back.content
    console = Client()
    _console(console, world.dispatcher, number, "verify", {"note": "现场已核实"})
    _console(console, world.dispatcher, number, "close", {"note": ""})

    periodic.registered()["webhooks.deliver"]()
    closed = Webhook(secret).verify(receiver.received[1][1], receiver.received[1][0])
    assert closed["type"] == "case.closed" and closed["data"]["number"] == number
    assert Case.objects.get(number=number).status == "closed"
    assert len(receiver.received) == 2
