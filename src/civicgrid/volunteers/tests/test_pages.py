"""The citizen's volunteer pages (/v/): finding activities, signing up and cancelling, registering, my
shifts, the venue code's check-in page, my code, my team, my hours; and the organiser's walk-up page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from civicgrid.core import clock
from civicgrid.volunteers import services
from civicgrid.volunteers.models import AnomalyKind, CheckAnomaly, Signup, SignupState, VolunteerProfile
from civicgrid.volunteers.tests.pages_helpers import LAT, LON, build, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def vw(world):
    return build(world)


def test_activities_near_me_list_map_and_filters(world, vw):
    page = Client().get("/v/", {"lat": LAT, "lon": LON})
    body = page.content.decode()
    assert page.status_code == 200
    assert "北苑清扫" in body and "路口劝导" in body
    assert 'id="vol-markers"' in body and f'"url": "/v/a/{vw.activity.pk}/"' in body
    only_traffic = Client().get("/v/", {"lat": LAT, "lon": LON, "kind": "traffic"}).content.decode()
    assert "路口劝导" in only_traffic and "北苑清扫" not in only_traffic
    far = Client().get("/v/", {"lat": LAT + 0.5, "lon": LON, "radius": 1000}).content.decode()
    assert "北苑清扫" not in far and 'id="activities-empty"' in far
    other_day = (clock.now() + timedelta(days=5)).date().isoformat()
    assert "北苑清扫" not in Client().get("/v/", {"lat": LAT, "lon": LON, "date": other_day}).content.decode()


def test_the_page_offers_registration_to_a_citizen_who_is_not_a_volunteer(world, vw):
    body = signed_in(world.leader).get("/v/").content.decode()
    assert 'id="register-link"' in body
    assert 'id="register-link"' not in signed_in(world.citizen).get("/v/").content.decode()


def test_activity_page_shows_places_and_signing_up_needs_sign_in(world, vw):
    page = Client().get(f"/v/a/{vw.activity.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and "已报 0/2" in body and "登录后报名" in body
    assert Client().post(f"/v/shifts/{vw.shift.pk}/signup/").status_code == 302
    assert not Signup.objects.exists()
    assert Client().get("/v/a/999999/").status_code == 404


def test_sign_up_then_cancel_through_the_pages(world, vw):
    wang = signed_in(world.citizen)
    answer = wang.post(f"/v/shifts/{vw.shift.pk}/signup/", follow=True)
    body = answer.content.decode()
    assert "报名成功" in body and 'data-signup-state="confirmed"' in body and "已报 1/2" in body
    signup = Signup.objects.get(volunteer=vw.wang)
    again = wang.post(f"/v/shifts/{vw.shift.pk}/signup/", follow=True).content.decode()
    assert Signup.objects.filter(volunteer=vw.wang).count() == 1 and 'class="msg error"' in again
    assert wang.post(f"/v/signups/{signup.pk}/cancel/", follow=True).status_code == 200
    signup.refresh_from_db()
    assert signup.state == SignupState.CANCELLED


def test_someone_else_cannot_cancel_my_sign_up(world, vw):
    signup = services.signup_apply(shift=vw.shift, user=world.citizen)
    services.volunteer_register(user=world.leader, real_name="赵敏", phone=world.leader.phone)
    assert signed_in(world.leader).post(f"/v/signups/{signup.pk}/cancel/").status_code == 404
    signup.refresh_from_db()
    assert signup.state == SignupState.CONFIRMED


def test_a_full_shift_waitlists_with_the_position(world, vw):
    for user, name in ((world.leader, "赵敏"), (world.dispatcher, "张伟")):
        services.volunteer_register(user=user, real_name=name, phone=user.phone)
        services.signup_apply(shift=vw.shift, user=user)
    body = signed_in(world.citizen).post(f"/v/shifts/{vw.shift.pk}/signup/", follow=True).content.decode()
    assert "已进入候补" in body and "候补第 1 位" in body


def test_signing_up_without_a_profile_goes_to_registration(world, vw):
    answer = signed_in(world.leader).post(f"/v/shifts/{vw.shift.pk}/signup/")
    assert answer.status_code == 302 and answer["Location"].startswith("/v/register/")
    assert not Signup.objects.exists()


def test_register_needs_consent_and_shows_the_errors(world, vw):
    zhao = signed_in(world.leader)
    refused = zhao.post("/v/register/", {"real_name": "赵敏", "phone": world.leader.phone})
    assert refused.status_code == 422 and "请阅读并同意志愿服务协议" in refused.content.decode()
    bad_phone = zhao.post("/v/register/", {"real_name": "赵敏", "phone": "123", "consent": "on"})
    assert bad_phone.status_code == 422 and not VolunteerProfile.objects.filter(user=world.leader).exists()
    future = (clock.now() + timedelta(days=3)).date().isoformat()
    too_late = zhao.post(
        "/v/register/",
        {"real_name": "赵敏", "phone": world.leader.phone, "birth_date": future, "consent": "on"},
    )
    assert too_late.status_code == 422 and "出生日期不能晚于今天" in too_late.content.decode()
    done = zhao.post(
        "/v/register/",
        {
            "real_name": "赵敏",
            "phone": world.leader.phone,
            "skills": "急救，摄影",
            "consent": "on",
            "next": "/v/",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/v/"
    assert VolunteerProfile.objects.get(user=world.leader).skills == ["急救", "摄影"]


def test_my_pages_need_sign_in_and_a_profile(world, vw):
    for path in ("/v/me/shifts/", "/v/me/code/", "/v/me/team/", "/v/me/hours/"):
        assert Client().get(path).status_code == 302
        answer = signed_in(world.leader).get(path)
        assert answer.status_code == 302 and answer["Location"].startswith("/v/register/")
        assert signed_in(world.citizen).get(path).status_code == 200


def test_my_shifts_shows_the_reminder_and_my_code_is_a_qr(world, vw):
    services.signup_apply(shift=vw.shift, user=world.citizen)
    wang = signed_in(world.citizen)
    body = wang.get("/v/me/shifts/").content.decode()
    assert "北苑清扫" in body and "提醒您" in body
    code = wang.get("/v/me/code/").content.decode()
    assert "<svg" in code and vw.wang.number in code


def test_my_team_lists_the_team(world, vw):
    services.team_join(team=vw.team, volunteer=vw.wang)
    body = signed_in(world.citizen).get("/v/me/team/").content.decode()
    assert "北苑志愿队" in body and "北苑清扫" in body and "督查志愿队" not in body


def _during_shift(vw):
    return vw.shift.starts_at + timedelta(minutes=10)


def test_checkin_page_accepts_inside_the_fence_and_queues_outside_it(world, vw):
    services.signup_apply(shift=vw.shift, user=world.citizen)
    moment = _during_shift(vw)
    wang = signed_in(world.citizen)
    with clock.at(moment):
        token = services.venue_code(activity=vw.activity).token
        page = wang.get(f"/v/checkin/{token}/")
        assert page.status_code == 200 and 'id="check-in"' in page.content.decode()
        assert "北苑清扫" in page.content.decode()  # what was scanned, before sending
        far = wang.post(f"/v/checkin/{token}/", {"direction": "in", "lat": LAT + 0.05, "lon": LON})
    body = far.content.decode()
    assert far.status_code == 200 and 'data-accepted="0"' in body and "已提交组织者审核" in body
    assert "原因：不在活动范围内" in body
    assert CheckAnomaly.objects.filter(kind=AnomalyKind.OUTSIDE_FENCE).count() == 1


def test_checkin_then_checkout_by_the_venue_code(world, vw):
    signup = services.signup_apply(shift=vw.shift, user=world.citizen)
    wang = signed_in(world.citizen)
    with clock.at(_during_shift(vw)):
        token = services.venue_code(activity=vw.activity).token
        done = wang.post(f"/v/checkin/{token}/", {"direction": "in", "lat": LAT, "lon": LON})
    assert 'data-accepted="1"' in done.content.decode() and "签到成功" in done.content.decode()
    with clock.at(vw.shift.ends_at - timedelta(minutes=5)):
        token = services.venue_code(activity=vw.activity).token
        out = wang.post(f"/v/checkin/{token}/", {"direction": "out", "lat": LAT, "lon": LON})
    assert "签退成功" in out.content.decode()
    signup.refresh_from_db()
    assert signup.checked_in_at and signup.checked_out_at


def test_a_forged_venue_code_is_refused(world, vw):
    services.signup_apply(shift=vw.shift, user=world.citizen)
    answer = signed_in(world.citizen).post(
        "/v/checkin/not-a-code/", {"direction": "in", "lat": LAT, "lon": LON}
    )
    assert answer.status_code == 422 and 'id="check-refused"' in answer.content.decode()
    assert Signup.objects.get().checked_in_at is None
    page = signed_in(world.citizen).get("/v/checkin/not-a-code/").content.decode()
    assert 'id="check-refused"' in page and 'id="check-in"' not in page


def test_walkup_page_is_for_organisers_of_a_live_shift(world, vw):
    signup = services.signup_apply(shift=vw.shift, user=world.citizen)
    token = services.personal_code(volunteer=vw.wang)
    with clock.at(_during_shift(vw)):
        assert signed_in(world.citizen).get(f"/v/walkup/{token}/").status_code == 403
        li = signed_in(world.grid_member)
        page = li.get(f"/v/walkup/{token}/")
        assert page.status_code == 200 and "北苑清扫" in page.content.decode()
        assert "路口劝导" not in page.content.decode()  # another team's shift
        done = li.post(f"/v/walkup/{token}/", {"shift": vw.shift.pk, "direction": "in"})
    assert 'id="walkup-result"' in done.content.decode()
    signup.refresh_from_db()
    assert signup.checked_in_at is not None and signup.checkin_by == world.grid_member


def test_the_citizen_home_links_to_the_volunteer_pages(world):
    assert 'href="/v/"' in Client().get("/m/").content.decode()


def test_my_hours_shows_approved_and_pending_hours_and_the_certificate_opens(world, vw):
    signup = services.signup_apply(shift=vw.shift, user=world.citizen)
    with clock.at(vw.shift.starts_at + timedelta(minutes=1)):
        services.check_in(
            user=world.citizen, token=services.venue_code(activity=vw.activity).token, lat=LAT, lon=LON
        )
    with clock.at(vw.shift.ends_at - timedelta(minutes=1)):
        services.check_out(
            user=world.citizen, token=services.venue_code(activity=vw.activity).token, lat=LAT, lon=LON
        )
    wang = signed_in(world.citizen)
    with clock.at(vw.shift.ends_at + timedelta(hours=1)):
        pending = wang.get("/v/me/hours/").content.decode()
        assert 'id="hours-pending"' in pending and "待审定" in pending
        signup.refresh_from_db()
        services.hours_approve(signup=signup, actor=world.grid_member, rating=5, evaluation="认真负责")
        body = wang.get("/v/me/hours/").content.decode()
        assert 'id="hours-pending"' not in body and "北苑清扫" in body and "认真负责" in body
        assert f"{signup.hours_claimed} h" in body and 'href="/v/me/certificate.pdf"' in body
        pdf = wang.get("/v/me/certificate.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_the_pages_in_english(world, vw):
    from civicgrid.core.tests.test_english import HAN, choose_english, interface_text

    zhao = signed_in(world.leader)
    choose_english(zhao)
    page = interface_text(zhao.get("/v/register/").content.decode())
    assert "Volunteer registration" in page and not HAN.findall(page)
    li = signed_in(world.grid_member)
    choose_english(li)
    page = interface_text(li.get("/console/volunteers/new/").content.decode())
    assert "New volunteer activity" in page and not HAN.findall(page)
