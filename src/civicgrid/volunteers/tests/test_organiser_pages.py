"""The organiser's pages in the console (/console/volunteers/…): who may open them, creating an activity
with its shifts, copying last week's, the roster (approve, decline, walk-up, message), the venue code,
the review queue and approving hours."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from civicgrid.core import clock
from civicgrid.notifications.models import Notification
from civicgrid.points.models import PointsEntry
from civicgrid.volunteers import services
from civicgrid.volunteers.models import (
    Activity,
    AnomalyState,
    CheckAnomaly,
    HoursState,
    Signup,
    SignupMethod,
    SignupState,
)
from civicgrid.volunteers.tests.pages_helpers import LAT, LON, build, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def vw(world):
    return build(world)


def test_a_citizen_cannot_open_the_organiser_pages(world, vw):
    wang = signed_in(world.citizen)
    for path in (
        "/console/volunteers/",
        "/console/volunteers/new/",
        "/console/volunteers/review/",
        f"/console/volunteers/{vw.activity.pk}/",
        f"/console/volunteers/{vw.activity.pk}/code/",
        f"/console/volunteers/shifts/{vw.shift.pk}/",
        f"/console/volunteers/shifts/{vw.shift.pk}/hours/",
    ):
        assert wang.get(path).status_code == 403, path
    assert Client().get("/console/volunteers/").status_code == 302


def test_an_organiser_of_another_team_cannot_manage_this_activity(world, vw):
    zhou = signed_in(world.inspector)  # leads 督查志愿队, not 北苑志愿队
    assert zhou.get("/console/volunteers/").status_code == 200
    for path in (
        f"/console/volunteers/{vw.activity.pk}/",
        f"/console/volunteers/{vw.activity.pk}/code/",
        f"/console/volunteers/{vw.activity.pk}/code/sheet/",
        f"/console/volunteers/shifts/{vw.shift.pk}/",
        f"/console/volunteers/shifts/{vw.shift.pk}/hours/",
    ):
        assert zhou.get(path).status_code == 403, path
    signup = services.signup_apply(shift=vw.shift, user=world.citizen)
    assert zhou.post(f"/console/volunteers/{vw.activity.pk}/copy/").status_code == 403
    assert zhou.post(f"/console/volunteers/shifts/{vw.shift.pk}/message/", {"text": "hi"}).status_code == 403
    assert zhou.post(f"/console/volunteers/signups/{signup.pk}/decline/", {"reason": "x"}).status_code == 403
    assert Activity.objects.count() == 2 and Signup.objects.get().state == SignupState.CONFIRMED
    mine = zhou.get("/console/volunteers/").content.decode()
    assert "路口劝导" in mine and "北苑清扫" not in mine


def test_the_team_leader_sees_the_activity_and_the_console_nav_links_it(world, vw):
    li = signed_in(world.grid_member)
    body = li.get("/console/volunteers/").content.decode()
    assert "北苑清扫" in body
    assert f"/console/volunteers/{vw.activity.pk}/" in body
    assert li.get(f"/console/volunteers/{vw.activity.pk}/").status_code == 200
    assert 'id="nav-volunteers"' in signed_in(world.dispatcher).get("/console/queue/new/").content.decode()


def _activity_post(owner: str, **extra) -> dict:
    start = (clock.now() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    data = {
        "title": "湖边捡拾",
        "kind": "cleaning",
        "owner": owner,
        "address": "南苑湖边",
        "lat": LAT - 0.01,
        "lon": LON + 0.02,
        "fence_m": 300,
        "description": "",
        "shifts-TOTAL_FORMS": "3",
        "shifts-INITIAL_FORMS": "0",
        "shifts-MIN_NUM_FORMS": "1",
        "shifts-MAX_NUM_FORMS": "20",
        "shifts-0-starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "shifts-0-ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "shifts-0-capacity": "8",
        "shifts-0-method": "approval",
        "shifts-0-waitlist": "on",
        "shifts-1-starts_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "shifts-1-ends_at": (start + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
        "shifts-1-capacity": "4",
        "shifts-1-method": "instant",
    }
    data.update(extra)
    return data


def test_create_an_activity_with_two_shifts(world, vw):
    li = signed_in(world.grid_member)
    page = li.get("/console/volunteers/new/").content.decode()
    assert f"team:{vw.team.pk}" in page and f"team:{vw.other_team.pk}" not in page
    answer = li.post("/console/volunteers/new/", _activity_post(f"team:{vw.team.pk}"))
    assert answer.status_code == 302
    made = Activity.objects.get(title="湖边捡拾")
    assert made.team == vw.team and made.created_by == world.grid_member
    shifts = list(made.shifts.order_by("starts_at"))
    assert [(s.capacity, s.method) for s in shifts] == [(8, SignupMethod.APPROVAL), (4, SignupMethod.INSTANT)]


def test_the_activity_form_shows_its_errors_and_makes_nothing(world, vw):
    li = signed_in(world.grid_member)
    bad = _activity_post(f"team:{vw.other_team.pk}", title="")
    bad["shifts-0-ends_at"] = bad["shifts-0-starts_at"]
    answer = li.post("/console/volunteers/new/", bad)
    body = answer.content.decode()
    assert answer.status_code == 422 and "结束时间须晚于开始时间" in body
    assert "这个字段是必须的" in body
    assert not Activity.objects.filter(title="湖边捡拾").exists()


def test_copy_last_weeks_activity(world, vw):
    answer = signed_in(world.grid_member).post(f"/console/volunteers/{vw.activity.pk}/copy/")
    assert answer.status_code == 302
    copy = Activity.objects.exclude(pk__in=[vw.activity.pk, vw.other_activity.pk]).get()
    assert copy.shifts.get().starts_at == vw.shift.starts_at + timedelta(days=7)


def test_roster_approve_and_decline_sign_ups(world, vw):
    vw.shift.method = SignupMethod.APPROVAL
    vw.shift.save(update_fields=["method"])
    wang = services.signup_apply(shift=vw.shift, user=world.citizen)
    services.volunteer_register(user=world.leader, real_name="赵敏", phone=world.leader.phone)
    zhao = services.signup_apply(shift=vw.shift, user=world.leader)
    assert wang.state == zhao.state == SignupState.APPLIED
    li = signed_in(world.grid_member)
    body = li.get(f"/console/volunteers/shifts/{vw.shift.pk}/").content.decode()
    assert "王芳" in body and "待审核" in body and f'data-approve="{wang.pk}"' in body
    li.post(f"/console/volunteers/signups/{wang.pk}/approve/")
    empty = li.post(f"/console/volunteers/signups/{zhao.pk}/decline/", {"reason": ""}, follow=True)
    assert "请填写不通过的理由" in empty.content.decode()
    li.post(f"/console/volunteers/signups/{zhao.pk}/decline/", {"reason": "本次需要有经验的志愿者"})
    wang.refresh_from_db()
    zhao.refresh_from_db()
    assert wang.state == SignupState.CONFIRMED and zhao.state == SignupState.DECLINED


def test_walkup_by_phone_and_its_errors(world, vw):
    signup = services.signup_apply(shift=vw.shift, user=world.citizen)
    li = signed_in(world.grid_member)
    url = f"/console/volunteers/shifts/{vw.shift.pk}/walkup/"
    with clock.at(vw.shift.starts_at + timedelta(minutes=5)):
        bad = li.post(url, {"phone": "12", "direction": "in"})
        assert bad.status_code == 422 and 'id="walkup-form"' in bad.content.decode()
        done = li.post(url, {"phone": world.citizen.phone, "direction": "in"})
    assert done.status_code == 302
    signup.refresh_from_db()
    assert signup.checked_in_at is not None and signup.checkin_by == world.grid_member


def test_message_the_roster(world, vw):
    services.signup_apply(shift=vw.shift, user=world.citizen)
    li = signed_in(world.grid_member)
    url = f"/console/volunteers/shifts/{vw.shift.pk}/message/"
    assert li.post(url, {"text": ""}).status_code == 422
    before = Notification.objects.filter(recipient=world.citizen).count()
    answer = li.post(url, {"text": "明早八点东门集合，请带手套"}, follow=True)
    assert "已通知 1 人" in answer.content.decode()
    assert Notification.objects.filter(recipient=world.citizen).count() == before + 1


def test_venue_code_screen_refreshes_and_its_sheet_prints(world, vw):
    li = signed_in(world.grid_member)
    page = li.get(f"/console/volunteers/{vw.activity.pk}/code/")
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and "/v/checkin/" in body
    assert 'hx-trigger="load delay:' in body and "no-store" in page["Cache-Control"]
    partial = li.get(f"/console/volunteers/{vw.activity.pk}/code/", headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="venue-code"')
    sheet = li.get(f"/console/volunteers/{vw.activity.pk}/code/sheet/").content.decode()
    assert "失效" in sheet and "<svg" in sheet


def _checked_in(world, vw, *, lat=LAT, lon=LON):
    signup = services.signup_apply(shift=vw.shift, user=world.citizen)
    with clock.at(vw.shift.starts_at + timedelta(minutes=1)):
        services.check_in(
            user=world.citizen, token=services.venue_code(activity=vw.activity).token, lat=lat, lon=lon
        )
    return signup


def _checked_in_and_out(world, vw):
    signup = _checked_in(world, vw)
    with clock.at(vw.shift.ends_at - timedelta(minutes=1)):
        services.check_out(
            user=world.citizen, token=services.venue_code(activity=vw.activity).token, lat=LAT, lon=LON
        )
    signup.refresh_from_db()
    return signup


def test_review_queue_accept_with_a_note(world, vw):
    _checked_in(world, vw, lat=LAT + 0.05)
    anomaly = CheckAnomaly.objects.get()
    li = signed_in(world.grid_member)
    body = li.get("/console/volunteers/review/").content.decode()
    assert "不在活动范围内" in body and f'data-anomaly="{anomaly.pk}"' in body
    assert (
        signed_in(world.inspector)
        .post(f"/console/volunteers/anomalies/{anomaly.pk}/decide/", {"decision": "accept", "note": "x"})
        .status_code
        == 403
    )
    li.post(
        f"/console/volunteers/anomalies/{anomaly.pk}/decide/",
        {"decision": "accept", "note": "定位漂移，本人在场"},
    )
    anomaly.refresh_from_db()
    assert anomaly.state == AnomalyState.ACCEPTED and anomaly.decision_note == "定位漂移，本人在场"
    assert 'id="review-empty"' in li.get("/console/volunteers/review/").content.decode()


def test_approve_hours_in_bulk_awards_points_once(world, vw):
    signup = _checked_in_and_out(world, vw)
    assert signup.hours_state == HoursState.PENDING
    li = signed_in(world.grid_member)
    page = li.get(f"/console/volunteers/shifts/{vw.shift.pk}/hours/").content.decode()
    assert "王芳" in page and 'id="bulk-approve"' in page
    url = f"/console/volunteers/shifts/{vw.shift.pk}/hours/"
    li.post(url, {"action": "bulk", "signup": [signup.pk]})
    li.post(url, {"action": "bulk", "signup": [signup.pk]})
    signup.refresh_from_db()
    assert signup.hours_state == HoursState.APPROVED and signup.hours_approved == signup.hours_claimed
    assert PointsEntry.objects.filter(source_key=f"volunteer:signup:{signup.pk}").count() == 1


def test_correcting_hours_needs_a_reason_and_takes_a_rating(world, vw):
    signup = _checked_in_and_out(world, vw)
    li = signed_in(world.grid_member)
    url = f"/console/volunteers/signups/{signup.pk}/hours/"
    p = f"s{signup.pk}-"
    refused = li.post(url, {p + "hours": "1.5", p + "note": ""})
    assert refused.status_code == 422 and "请说明理由" in refused.content.decode()
    signup.refresh_from_db()
    assert signup.hours_state == HoursState.PENDING
    li.post(
        url, {p + "hours": "1.5", p + "note": "中途离开一小时", p + "rating": "4", p + "evaluation": "积极"}
    )
    signup.refresh_from_db()
    assert signup.hours_approved == Decimal("1.50") and signup.rating == 4 and signup.evaluation == "积极"
    assert signup.hours_note == "中途离开一小时"


def test_a_citizen_who_leads_a_team_organises_its_activities_outside_the_staff_console(world, vw):
    from civicgrid.accounts.roles import Role
    from civicgrid.accounts.services import user_create
    from civicgrid.testing import PASSWORD

    leader = user_create(phone="13900000099", password=PASSWORD, real_name="吴磊", role=Role.CITIZEN)
    team = services.team_create(name="热心居民队", leader=leader, community=world.south, actor=world.admin)
    wu = signed_in(leader)
    page = wu.get("/console/volunteers/new/").content.decode()
    assert f"team:{team.pk}" in page and "department:" not in page
    assert 'href="/console/"' not in page  # no staff console for a citizen
    assert wu.get(f"/console/volunteers/{vw.activity.pk}/").status_code == 403
    assert wu.get("/console/queue/new/").status_code == 403
