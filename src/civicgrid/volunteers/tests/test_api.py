"""The volunteers API through the real URL (/api/volunteers), with a session and with a personal key."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from civicgrid.accounts.clients import api_client_create, api_key_issue, api_personal_key_issue
from civicgrid.points.models import PointsEntry
from civicgrid.volunteers import services
from civicgrid.volunteers.models import Signup
from civicgrid.volunteers.tests.conftest import LAT, LON

BASE = "/api/volunteers"


def post(client, path, body=None, **headers):
    import json

    return client.post(
        BASE + path, data=json.dumps(body or {}), content_type="application/json", headers=headers
    )


def test_a_citizen_finds_signs_up_checks_in_and_out_and_the_organiser_approves(client, vw):
    citizen = vw.world.citizen
    client.force_login(citizen)
    found = client.get(f"{BASE}/activities", {"lat": LAT, "lon": LON + 0.01, "radius_m": 3000}).json()
    assert [a["id"] for a in found] == [vw.activity.pk]
    assert found[0]["shifts"][0]["capacity"] == 5 and 800 < found[0]["distance_m"] < 900
    assert client.get(f"{BASE}/activities", {"lat": LAT, "lon": LON + 0.1, "radius_m": 3000}).json() == []
    response = post(client, f"/shifts/{vw.shift.pk}/signups")
    assert response.status_code == 201, response.content
    signup_id = response.json()["id"]
    assert response.json()["state"] == "confirmed"
    again = post(client, f"/shifts/{vw.shift.pk}/signups")
    assert again.status_code == 409 and again.json()["error"] == "already_signed_up"
    assert client.get(f"{BASE}/me/signups").json()[0]["id"] == signup_id

    with time_machine.travel(vw.start - timedelta(minutes=5)):
        client.force_login(vw.leader)
        code = client.get(f"{BASE}/activities/{vw.activity.pk}/venue-code").json()
        assert code["url"] == f"/v/checkin/{code['token']}/"
        client.force_login(citizen)
        checked = post(client, "/checkin", {"token": code["token"], "lat": LAT, "lon": LON})
        assert checked.status_code == 200, checked.content
        assert checked.json()["accepted"] and checked.json()["signup"]["state"] == "attended"
        forged = post(client, "/checkin", {"token": code["token"][:-2] + "xx", "lat": LAT, "lon": LON})
        assert forged.status_code == 400 and forged.json()["error"] == "token_invalid"
        replay = post(client, "/checkin", {"token": code["token"], "lat": LAT, "lon": LON}).json()
        assert not replay["accepted"] and replay["anomaly"]["kind"] == "second_checkin"
    with time_machine.travel(vw.start + timedelta(hours=2)):
        client.force_login(vw.leader)
        token = client.get(f"{BASE}/activities/{vw.activity.pk}/venue-code").json()["token"]
        client.force_login(citizen)
        out = post(client, "/checkout", {"token": token, "lat": LAT, "lon": LON}).json()
        assert out["accepted"] and out["signup"]["hours_claimed"] == "2.00"
        # the citizen is no organiser: the organiser's endpoints do not show the activity
        assert client.get(f"{BASE}/shifts/{vw.shift.pk}/roster").status_code == 404
        assert post(client, f"/signups/{signup_id}/hours").status_code == 404
        client.force_login(vw.leader)
        roster = client.get(f"{BASE}/shifts/{vw.shift.pk}/roster").json()
        assert roster[0]["real_name"] == "王芳" and roster[0]["hours_state"] == "pending"
        queue = client.get(f"{BASE}/anomalies").json()
        assert [a["kind"] for a in queue] == ["second_checkin"]
        decided = post(client, f"/anomalies/{queue[0]['id']}/decide", {"accept": False, "note": "重复扫码"})
        assert decided.json()["state"] == "rejected"
        approved = post(client, f"/signups/{signup_id}/hours", {"rating": 5})
        assert approved.status_code == 200 and approved.json()["hours_approved"] == "2.00"
        twice = post(client, f"/signups/{signup_id}/hours", {})
        assert twice.status_code == 409
    assert PointsEntry.objects.filter(person=citizen, source_key=f"volunteer:signup:{signup_id}").count() == 1


def test_full_shift_and_cancel_through_the_api(client, vw):
    shift = vw.add_shift(capacity=1, waitlist=False)
    services.signup_apply(shift=shift, user=vw.citizen(1))
    client.force_login(vw.world.citizen)
    full = post(client, f"/shifts/{shift.pk}/signups")
    assert full.status_code == 409 and full.json()["error"] == "shift_full"
    mine = post(client, f"/shifts/{vw.shift.pk}/signups").json()
    cancelled = post(client, f"/signups/{mine['id']}/cancel", {"reason": "临时有事"})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    other = Signup.objects.get(shift=shift)
    assert post(client, f"/signups/{other.pk}/cancel").status_code == 404
    assert post(client, "/shifts/999999/signups").status_code == 404


def test_profile_organiser_creates_activity_shift_copy_and_walkup(client, vw):
    newcomer = vw.citizen(7)
    client.force_login(vw.world.dispatcher)
    no_consent = post(client, "/profile", {"real_name": "张伟", "consent": False})
    assert no_consent.status_code == 422 and no_consent.json()["error"] == "consent_required"
    profile = post(client, "/profile", {"real_name": "张伟", "consent": True, "skills": ["急救"]})
    assert profile.status_code == 201 and profile.json()["number"].startswith("ZY")
    assert profile.json()["personal_code_url"].startswith("/v/walkup/")

    client.force_login(vw.leader)
    created = post(
        client,
        "/activities",
        {
            "title": "环境清洁",
            "kind": "cleaning",
            "address": "北苑广场",
            "lat": LAT,
            "lon": LON,
            "team_id": vw.team.pk,
        },
    )
    assert created.status_code == 201, created.content
    activity_id = created.json()["id"]
    start = vw.start.isoformat()
    end = (vw.start + timedelta(hours=2)).isoformat()
    shift = post(
        client, f"/activities/{activity_id}/shifts", {"starts_at": start, "ends_at": end, "capacity": 2}
    )
    assert shift.status_code == 201 and shift.json()["capacity"] == 2
    bad = post(
        client, f"/activities/{activity_id}/shifts", {"starts_at": end, "ends_at": start, "capacity": 2}
    )
    assert bad.status_code == 422 and bad.json()["error"] == "shift_times_invalid"
    copy = post(client, f"/activities/{activity_id}/copy", {"days": 7})
    assert copy.status_code == 201 and len(copy.json()["shifts"]) == 1
    with time_machine.travel(vw.start):
        client.force_login(vw.leader)  # a session idles out over the day travelled
        walk = post(
            client, f"/shifts/{shift.json()['id']}/walkup", {"phone": newcomer.phone, "direction": "in"}
        )
        assert walk.status_code == 200 and walk.json()["accepted"], walk.content
        told = post(client, f"/shifts/{shift.json()['id']}/message", {"text": "请带好手套"})
        assert told.json() == {"count": 1}

    client.force_login(vw.world.citizen)
    assert (
        post(
            client, f"/activities/{activity_id}/shifts", {"starts_at": start, "ends_at": end, "capacity": 2}
        ).status_code
        == 404
    )
    assert client.get(f"{BASE}/activities/{activity_id}/venue-code").status_code == 404


def test_a_personal_key_may_use_the_volunteer_endpoints_and_a_key_without_the_scope_may_not(client, vw):
    _, raw = api_personal_key_issue(user=vw.world.citizen, name="我的手机")
    response = post(client, f"/shifts/{vw.shift.pk}/signups", Authorization=f"Bearer {raw}")
    assert response.status_code == 201, response.content
    narrow = api_client_create(name="x", user=vw.world.citizen, scopes=["points:use"], kind="platform")
    _, raw2 = api_key_issue(client=narrow)
    refused = client.get(f"{BASE}/me/signups", headers={"Authorization": f"Bearer {raw2}"})
    assert refused.status_code == 403 and refused.json()["error"] == "scope_missing"
