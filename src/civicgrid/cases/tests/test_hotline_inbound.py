"""12345 hotline inbound: a hotline system reports its calls through POST /api/cases with its own order id.

The system's client acts as a DISPATCHER account (kind hotline, scope cases:create); the order id
(`external_id`) is kept as the case's source reference and makes the report idempotent per client.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.accounts.models import ApiClient, User
from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, assert_error, post_json, report_body


def _hotline(phone: str = "13900000201", name: str = "12345 热线") -> Client:
    account = User.objects.create_user(phone=phone, role=Role.DISPATCHER, real_name=name)
    client = api_client_create(
        name=name, user=account, scopes=["cases:create", "cases:read", "cases:read:personal"], kind="hotline"
    )
    _key, raw = api_key_issue(client=client)
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})


def _call(order: str = "GD202612070001", **fields) -> dict:
    body = {
        "description": "来电反映小区门口路灯不亮已有三天",
        "channel": "hotline",
        "contact_name": "王先生",
        "contact_phone": "13812345678",
        "external_id": order,
    }
    return report_body(NORTH_1, **{**body, **fields})


@pytest.mark.django_db
def test_a_hotline_call_becomes_a_case_with_its_order_id(routed_world):
    hotline = _hotline()
    response = post_json(hotline, "/api/cases", _call("  GD202612070001 "))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "hotline" and body["external_id"] == "GD202612070001"
    case = Case.objects.get(number=body["number"])
    assert case.source_ref == "GD202612070001"
    assert (case.contact_name, case.contact_phone) == ("王先生", "13812345678")
    assert body["contact_phone"] == "13812345678"  # the hotline's account is the dispatch centre
    # What the system reads back later is the same.
    assert hotline.get(f"/api/cases/{case.number}").json()["external_id"] == "GD202612070001"


@pytest.mark.django_db
def test_the_same_order_again_returns_the_same_case(routed_world):
    hotline = _hotline()
    first = post_json(hotline, "/api/cases", _call())
    again = post_json(hotline, "/api/cases", _call())
    assert first.status_code == 201 and again.status_code == 200, again.content
    assert again["Idempotency-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1 and CaseEvent.objects.filter(action="report").count() == 1


@pytest.mark.django_db
def test_a_different_report_under_the_same_order_id_is_409(routed_world):
    hotline = _hotline()
    assert post_json(hotline, "/api/cases", _call()).status_code == 201
    changed = _call(description="来电反映另一处井盖缺失")
    body = assert_error(post_json(hotline, "/api/cases", changed), 409, "external_id_reused", "external_id")
    assert "GD202612070001" in body["message_en"]
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_two_clients_with_the_same_order_id_make_two_cases(routed_world):
    one, other = _hotline(), _hotline(phone="13900000202", name="12345 热线分中心")
    a = post_json(one, "/api/cases", _call())
    b = post_json(other, "/api/cases", _call(lat=NORTH_2[0], lon=NORTH_2[1]))
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["number"] != b.json()["number"]
    assert Case.objects.filter(source_ref="GD202612070001").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "order, code",
    [
        ("G" * 65, "text_too_long"),
        ("GD\x0012", "text_control_character"),
        ("GD\u200b\n1", "text_control_character"),
    ],
)
def test_a_bad_order_id_is_refused_on_its_field(routed_world, order, code):
    hotline = _hotline()
    assert_error(post_json(hotline, "/api/cases", _call(order)), 422, code, "external_id")
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_the_order_id_is_shown_to_the_reporting_system_and_staff_only(routed_world):
    world = routed_world
    hotline = _hotline()
    number = post_json(hotline, "/api/cases", _call()).json()["number"]
    staff = Client()
    staff.force_login(world.dispatcher)
    assert staff.get(f"/api/cases/{number}").json()["external_id"] == "GD202612070001"
    # A case reported without an order id has none, even when it has a source reference of another kind.
    citizen = Client()
    citizen.force_login(world.citizen)
    own = post_json(citizen, "/api/cases", report_body(NORTH_2))
    assert own.json()["external_id"] is None
    Case.objects.filter(number=own.json()["number"]).update(source_ref="HC-0001")
    assert citizen.get(f"/api/cases/{own.json()['number']}").json()["external_id"] is None


@pytest.mark.django_db
def test_a_hotline_key_without_a_dispatcher_account_may_not_use_the_hotline_channel(routed_world):
    account = User.objects.create_user(phone="13900000203", role=Role.CITIZEN)
    client = api_client_create(name="某平台", user=account, scopes=["cases:create"], kind="platform")
    _key, raw = api_key_issue(client=client)
    http = Client(headers={"Authorization": f"Bearer {raw}"})
    assert_error(post_json(http, "/api/cases", _call()), 403, "channel_forbidden", "channel")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_one_order_make_one_case(routed_world):
    hotline_phone = "13900000204"
    _hotline(phone=hotline_phone)  # the key is made per thread below: one client, two keys
    client_row = ApiClient.objects.get(user__phone=hotline_phone)
    raws = [api_key_issue(client=client_row)[1] for _ in range(2)]
    start = threading.Barrier(2)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def submit(raw: str) -> None:
        try:
            http = Client(headers={"Authorization": f"Bearer {raw}"})
            start.wait(timeout=30)
            r = post_json(http, "/api/cases", _call("GD-RACE-1"))
            outcome = (r.status_code, r.json()["number"] if r.status_code < 300 else r.content.decode())
        except Exception as exc:  # reported below
            outcome = (0, repr(exc))
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=submit, args=(raw,)) for raw in raws]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(status for status, _ in results) == [200, 201], results
    assert len({number for _, number in results}) == 1
    assert Case.objects.filter(source_ref="GD-RACE-1").count() == 1
