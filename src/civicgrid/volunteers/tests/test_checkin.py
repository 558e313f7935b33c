"""Venue codes and check-in/out: fresh, grace, stale (queued), expired/forged/revoked/other activity
(refused); the geofence (area with tolerance, or radius), the time window, replays, walk-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings

from civicgrid.core.errors import Conflict, DomainError
from civicgrid.core.tokens import InvalidToken
from civicgrid.volunteers import services
from civicgrid.volunteers.codes import personal_code
from civicgrid.volunteers.models import CheckAnomaly, HoursState, Shift, Signup, SignupEvent
from civicgrid.volunteers.tests.conftest import LAT, LON

# ~110 m north of the activity's point: inside its 300 m fence; ~1.1 km: outside.
NEAR = (LAT + 0.001, LON)
FAR = (LAT + 0.01, LON)


@pytest.fixture
def signed(vw):
    signup = services.signup_apply(shift=vw.shift, user=vw.world.citizen)
    return signup


def at(vw, minutes: float):
    return vw.start + timedelta(minutes=minutes)


def code_at(vw, moment, activity=None):
    return services.venue_code(activity=activity or vw.activity, now=moment).token


def test_a_fresh_code_inside_the_fence_checks_in(vw, signed):
    now = at(vw, -10)
    result = services.check_in(
        user=vw.world.citizen, token=code_at(vw, now), lat=NEAR[0], lon=NEAR[1], now=now
    )
    assert result.accepted and result.anomaly is None
    signup = Signup.objects.get(pk=signed.pk)
    assert signup.state == "attended" and signup.checked_in_at == now
    assert signup.checkin_lat == NEAR[0]
    assert Shift.objects.get(pk=vw.shift.pk).seats_taken == 1


def test_the_code_of_the_previous_slot_is_still_fresh(vw, signed):
    shown = at(vw, -10)
    scanned = shown + timedelta(seconds=300)  # the next slot: the grace
    result = services.check_in(
        user=vw.world.citizen, token=code_at(vw, shown), lat=NEAR[0], lon=NEAR[1], now=scanned
    )
    assert result.accepted


@override_settings(CIVICGRID_VOLUNTEER_CODE_SECONDS=300, CIVICGRID_VOLUNTEER_CODE_STALE_SECONDS=3600)
def test_a_code_older_than_its_rotation_is_queued_as_stale(vw, signed):
    shown = at(vw, -10)
    scanned = shown + timedelta(seconds=900)  # three slots later
    result = services.check_in(
        user=vw.world.citizen, token=code_at(vw, shown), lat=NEAR[0], lon=NEAR[1], now=scanned
    )
    assert not result.accepted
    assert result.anomaly.kind == "stale_code" and result.anomaly.state == "open"
    assert Signup.objects.get(pk=signed.pk).checked_in_at is None


@override_settings(CIVICGRID_VOLUNTEER_CODE_SECONDS=300, CIVICGRID_VOLUNTEER_CODE_STALE_SECONDS=3600)
def test_a_code_older_than_the_stale_limit_is_refused(vw, signed):
    shown = at(vw, -90)
    with pytest.raises(DomainError) as exc:
        services.check_in(
            user=vw.world.citizen,
            token=code_at(vw, shown),
            lat=NEAR[0],
            lon=NEAR[1],
            now=shown + timedelta(hours=1, minutes=6),
        )
    assert exc.value.code == "code_expired" and exc.value.status == 400
    assert not CheckAnomaly.objects.exists()


def test_forged_future_and_revoked_codes_are_refused(vw, signed):
    now = at(vw, -10)
    token = code_at(vw, now)
    kid, payload, mac = token.split(".")
    with pytest.raises(InvalidToken):
        services.check_in(
            user=vw.world.citizen, token=f"{kid}.{payload}.{mac[::-1]}", lat=NEAR[0], lon=NEAR[1], now=now
        )
    with pytest.raises(InvalidToken):  # a code of a later slot than now
        services.check_in(
            user=vw.world.citizen,
            token=code_at(vw, now + timedelta(minutes=20)),
            lat=NEAR[0],
            lon=NEAR[1],
            now=now,
        )
    with pytest.raises(InvalidToken):  # a personal code is no venue code
        services.check_in(
            user=vw.world.citizen, token=personal_code(volunteer=vw.world.citizen.volunteer), now=now
        )
    services.activity_venue_reset(activity=vw.activity, actor=vw.leader)
    with pytest.raises(DomainError) as exc:
        services.check_in(user=vw.world.citizen, token=token, lat=NEAR[0], lon=NEAR[1], now=now)
    assert exc.value.code == "code_revoked"
    assert Signup.objects.get(pk=signed.pk).checked_in_at is None


def test_another_activitys_code_is_refused(vw, signed):
    other = services.activity_create(
        actor=vw.leader, title="环境清洁", kind="cleaning", address="湖边", lat=LAT, lon=LON, team=vw.team
    )
    now = at(vw, -10)
    with pytest.raises(Conflict) as exc:
        services.check_in(
            user=vw.world.citizen, token=code_at(vw, now, other), lat=NEAR[0], lon=NEAR[1], now=now
        )
    assert exc.value.code == "not_signed_up"
    assert Signup.objects.get(pk=signed.pk).checked_in_at is None


def test_outside_the_fence_no_location_and_outside_the_window_are_queued(vw, signed):
    user = vw.world.citizen
    now = at(vw, -10)
    far = services.check_in(user=user, token=code_at(vw, now), lat=FAR[0], lon=FAR[1], now=now)
    assert (far.accepted, far.anomaly.kind) == (False, "outside_fence")
    assert "米" in far.anomaly.detail
    nowhere = services.check_in(user=user, token=code_at(vw, now), now=now)
    assert nowhere.anomaly.kind == "no_location"
    early = at(vw, -61)
    too_early = services.check_in(user=user, token=code_at(vw, early), lat=NEAR[0], lon=NEAR[1], now=early)
    assert too_early.anomaly.kind == "outside_window"
    assert Signup.objects.get(pk=signed.pk).checked_in_at is None
    assert CheckAnomaly.objects.filter(signup=signed, state="open").count() == 3
    on_time = at(vw, -60)
    assert services.check_in(
        user=user, token=code_at(vw, on_time), lat=NEAR[0], lon=NEAR[1], now=on_time
    ).accepted


def test_several_breaches_are_one_anomaly_naming_all(vw, signed):
    now = at(vw, -120)
    result = services.check_in(user=vw.world.citizen, token=code_at(vw, now), lat=FAR[0], lon=FAR[1], now=now)
    assert result.anomaly.kind == "outside_fence"
    assert "米" in result.anomaly.detail and "时间" in result.anomaly.detail


def test_the_area_with_its_tolerance(vw, signed):
    # a 200 m square north-east of the point (about 0.0018° lat × 0.0023° lon)
    area = {
        "type": "Polygon",
        "coordinates": [
            [[LON, LAT], [LON + 0.0023, LAT], [LON + 0.0023, LAT + 0.0018], [LON, LAT + 0.0018], [LON, LAT]]
        ],
    }
    vw.activity.area = area
    vw.activity.save(update_fields=["area"])
    now = at(vw, 0)
    user = vw.world.citizen
    # 20 m west of the square: inside the 30 m tolerance
    edge = services.check_in(user=user, token=code_at(vw, now), lat=LAT + 0.0009, lon=LON - 0.00023, now=now)
    assert edge.accepted
    other = vw.citizen(1)
    services.signup_apply(shift=vw.shift, user=other)
    # 50 m west: outside, though well within the 300 m radius (not used when there is an area)
    out = services.check_in(user=other, token=code_at(vw, now), lat=LAT + 0.0009, lon=LON - 0.00058, now=now)
    assert out.anomaly.kind == "outside_fence"


def test_a_second_check_in_is_queued_once_never_recorded_twice(vw, signed):
    user = vw.world.citizen
    first = at(vw, -5)
    services.check_in(user=user, token=code_at(vw, first), lat=NEAR[0], lon=NEAR[1], now=first)
    again = at(vw, 30)
    r1 = services.check_in(user=user, token=code_at(vw, again), lat=NEAR[0], lon=NEAR[1], now=again)
    r2 = services.check_in(user=user, token=code_at(vw, again), lat=NEAR[0], lon=NEAR[1], now=again)
    assert r1.anomaly.kind == "second_checkin" and r2.anomaly.pk == r1.anomaly.pk
    signup = Signup.objects.get(pk=signed.pk)
    assert signup.checked_in_at == first
    assert SignupEvent.objects.filter(signup=signup, action="checked_in").count() == 1


def test_waitlisted_and_unregistered_people_cannot_check_in(vw):
    shift = vw.shift
    for i in range(5):
        services.signup_apply(shift=shift, user=vw.citizen(i))
    waiting = services.signup_apply(shift=shift, user=vw.world.citizen)
    assert waiting.state == "waitlisted"
    now = at(vw, 0)
    with pytest.raises(Conflict) as exc:
        services.check_in(user=vw.world.citizen, token=code_at(vw, now), lat=NEAR[0], lon=NEAR[1], now=now)
    assert exc.value.code == "not_confirmed"
    with pytest.raises(DomainError) as exc:
        services.check_in(user=vw.world.dispatcher, token=code_at(vw, now), lat=NEAR[0], lon=NEAR[1], now=now)
    assert exc.value.code == "not_volunteer"


def test_check_out_computes_pending_hours_capped_at_the_shift(vw, signed):
    user = vw.world.citizen
    t_in, t_out = at(vw, -30), at(vw, 200)  # 30 min early, 20 min late: 3 h counted
    services.check_in(user=user, token=code_at(vw, t_in), lat=NEAR[0], lon=NEAR[1], now=t_in)
    result = services.check_out(user=user, token=code_at(vw, t_out), lat=NEAR[0], lon=NEAR[1], now=t_out)
    assert result.accepted
    signup = Signup.objects.get(pk=signed.pk)
    assert signup.hours_state == HoursState.PENDING and str(signup.hours_claimed) == "3.00"
    with pytest.raises(Conflict) as exc:
        services.check_out(user=user, token=code_at(vw, t_out), lat=NEAR[0], lon=NEAR[1], now=t_out)
    assert exc.value.code == "already_checked_out"


def test_check_out_before_check_in_is_refused_and_late_check_out_is_queued(vw, signed):
    user = vw.world.citizen
    now = at(vw, 10)
    with pytest.raises(Conflict) as exc:
        services.check_out(user=user, token=code_at(vw, now), lat=NEAR[0], lon=NEAR[1], now=now)
    assert exc.value.code == "not_checked_in"
    services.check_in(user=user, token=code_at(vw, now), lat=NEAR[0], lon=NEAR[1], now=now)
    late = at(vw, 180 + 61)
    result = services.check_out(user=user, token=code_at(vw, late), lat=NEAR[0], lon=NEAR[1], now=late)
    assert result.anomaly.kind == "outside_window" and result.anomaly.direction == "out"
    assert Signup.objects.get(pk=signed.pk).checked_out_at is None


def test_organiser_checks_in_by_personal_code_or_phone(vw, signed):
    now = at(vw, 0)
    result = services.organiser_check_in(
        actor=vw.leader,
        shift=vw.shift,
        personal_token=personal_code(volunteer=vw.world.citizen.volunteer),
        now=now,
    )
    assert result.accepted
    signup = Signup.objects.get(pk=signed.pk)
    assert signup.checkin_by == vw.leader and signup.state == "attended"
    out = services.organiser_check_out(
        actor=vw.leader, shift=vw.shift, phone=vw.world.citizen.phone, now=at(vw, 120)
    )
    assert out.accepted and str(Signup.objects.get(pk=signed.pk).hours_claimed) == "2.00"


def test_a_walk_up_takes_a_free_place_or_goes_to_review(vw):
    shift = vw.add_shift(capacity=1)
    walker, late = vw.citizen(1), vw.citizen(2)
    now = at(vw, 0)
    r = services.organiser_check_in(actor=vw.leader, shift=shift, phone=walker.phone, now=now)
    assert r.accepted and r.signup.state == "attended" and r.signup.checkin_by == vw.leader
    assert list(SignupEvent.objects.filter(signup=r.signup).values_list("action", flat=True)) == [
        "walk_up",
        "checked_in",
    ]
    full = services.organiser_check_in(actor=vw.leader, shift=shift, phone=late.phone, now=now)
    assert not full.accepted and full.anomaly.kind == "not_signed_up" and full.signup is None
    assert Shift.objects.get(pk=shift.pk).seats_taken == 1
    with pytest.raises(DomainError):
        services.organiser_check_in(actor=vw.world.citizen, shift=shift, phone=late.phone, now=now)


def test_accepting_an_anomaly_records_the_check_in_at_its_time(vw, signed):
    now = at(vw, -5)
    result = services.check_in(user=vw.world.citizen, token=code_at(vw, now), lat=FAR[0], lon=FAR[1], now=now)
    with pytest.raises(DomainError):
        services.anomaly_decide(anomaly=result.anomaly, actor=vw.leader, accept=False, note="")
    decided = services.anomaly_decide(anomaly=result.anomaly, actor=vw.leader, accept=True, note="定位漂移")
    assert decided.state == "accepted" and decided.decided_by == vw.leader
    assert Signup.objects.get(pk=signed.pk).checked_in_at == now
    with pytest.raises(Conflict):
        services.anomaly_decide(anomaly=decided, actor=vw.leader, accept=False, note="再处理")


def test_rejecting_an_anomaly_changes_nothing(vw, signed):
    now = at(vw, -5)
    result = services.check_in(user=vw.world.citizen, token=code_at(vw, now), now=now)
    services.anomaly_decide(anomaly=result.anomaly, actor=vw.leader, accept=False, note="不在现场")
    signup = Signup.objects.get(pk=signed.pk)
    assert signup.checked_in_at is None and signup.state == "confirmed"


def test_accepting_a_full_walk_up_needs_a_place(vw):
    shift = vw.add_shift(capacity=1)
    first = vw.citizen(1)
    services.signup_apply(shift=shift, user=first)
    now = at(vw, 0)
    walk = services.organiser_check_in(actor=vw.leader, shift=shift, phone=vw.citizen(2).phone, now=now)
    with pytest.raises(Conflict) as exc:
        services.anomaly_decide(anomaly=walk.anomaly, actor=vw.leader, accept=True, note="")
    assert exc.value.code == "shift_full"
    services.signup_cancel(signup=Signup.objects.get(shift=shift, volunteer__user=first), actor=vw.leader)
    services.anomaly_decide(anomaly=walk.anomaly, actor=vw.leader, accept=True, note="有人取消")
    assert Signup.objects.filter(shift=shift, state="attended").count() == 1


def test_venue_code_rotates(vw):
    with time_machine.travel(at(vw, 0)):
        a = services.venue_code(activity=vw.activity)
    with time_machine.travel(at(vw, 5)):
        b = services.venue_code(activity=vw.activity)
    assert a.token != b.token and a.url == f"/v/checkin/{a.token}/"
    assert a.expires_at <= at(vw, 5)
