"""The points API through ninja's test client (the router is mounted at /api/points in civicgrid/api.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from ninja import NinjaAPI
from ninja.testing import TestClient

from civicgrid.cases.tests.helpers import local
from civicgrid.core.errors import DomainError
from civicgrid.points.api import router
from civicgrid.points.choices import Reason, UncivilBehaviour
from civicgrid.points.services import points_award, uncivil_record_create
from civicgrid.points.tests.helpers import item

pytestmark = pytest.mark.django_db

_api = NinjaAPI(urls_namespace="points-test")
_api.add_router("/", router)


@_api.exception_handler(DomainError)
def _on_domain_error(request, exc: DomainError):
    return _api.create_response(request, exc.as_dict(), status=exc.status)


client = TestClient(_api)


def test_balance_entries_redeem_vouchers_and_use(world):
    points_award(person=world.citizen, reason=Reason.HONOUR, source_key="honour:1")
    reward = item(cost=30, stock=1, merchant=world.leader)
    balance = client.get("/balance", user=world.citizen).json()
    assert balance["balance"] == 200 and balance["honours"] == 200 and balance["level"]["name"] == "银牌"
    entries = client.get("/entries", user=world.citizen).json()
    assert entries[0]["rule_version"] == 1 and "好人评选" in entries[0]["explanation"]
    assert [i["id"] for i in client.get("/catalogue", user=world.citizen).json()] == [reward.pk]
    r = client.post(f"/catalogue/{reward.pk}/redeem", user=world.citizen)
    assert r.status_code == 201, r.content
    token = r.json()["token"]
    r = client.post(f"/catalogue/{reward.pk}/redeem", user=world.citizen)
    assert r.status_code == 409 and r.json()["error"] == "out_of_stock"
    assert [v["token"] for v in client.get("/vouchers", user=world.citizen).json()] == [token]
    r = client.post("/vouchers/use", json={"token": token}, user=world.leader)
    assert r.status_code == 200 and r.json()["used_at"]
    r = client.post("/vouchers/use", json={"token": token}, user=world.leader)
    assert r.status_code == 409 and r.json()["error"] == "voucher_used"
    r = client.post("/vouchers/use", json={"token": token[:-2] + "xx"}, user=world.leader)
    assert r.status_code == 400 and r.json()["error"] == "token_invalid"


def test_appeal_and_public_display_are_masked(world):
    t0 = local(2026, 5, 1, 10)
    with time_machine.travel(t0):
        record = uncivil_record_create(
            inspector=world.inspector,
            person=world.citizen,
            behaviour=UncivilBehaviour.PARKING,
            lat=None,
            lon=None,
            address="万达广场东门",
            note="电动车停在盲道",
        )
        r = client.post(f"/uncivil/{record.pk}/appeal", json={"reason": "车不是我的"}, user=world.leader)
        assert r.status_code == 404
    with time_machine.travel(t0 + timedelta(days=8)):
        rows = client.get("/display").json()
    assert [(row["name"], row["behaviour"]) for row in rows] == [("王*", "乱停乱放")]
    text = json.dumps(rows, ensure_ascii=False)
    assert (
        "王芳" not in text and world.citizen.phone not in text and "盲道" not in text
    )  # the note stays private
    ranks = client.get("/leaderboard", user=world.citizen).json()
    assert all("王芳" not in r["name"] for r in ranks)


def test_an_appeal_with_a_control_character_is_refused_and_changes_nothing(world):
    with time_machine.travel(local(2026, 5, 1, 10)):
        record = uncivil_record_create(
            inspector=world.inspector,
            person=world.citizen,
            behaviour=UncivilBehaviour.PARKING,
            lat=None,
            lon=None,
            address="万达广场东门",
            note="电动车停在盲道",
        )
        r = client.post(f"/uncivil/{record.pk}/appeal", json={"reason": "车不是我的\x00"}, user=world.citizen)
        assert r.status_code == 422, r.content
        assert r.json()["error"] == "text_control_character" and r.json()["field"] == "reason"
        record.refresh_from_db()
        assert record.status == "recorded" and not hasattr(record, "appeal")
        r = client.post(f"/uncivil/{record.pk}/appeal", json={"reason": "车" * 501}, user=world.citizen)
        assert r.status_code == 422, r.content
        r = client.post(f"/uncivil/{record.pk}/appeal", json={"reason": "车不是我的"}, user=world.citizen)
        assert r.status_code == 201, r.content
