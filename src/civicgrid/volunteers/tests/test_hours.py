"""Hours: computed from check-in/out capped at the shift, to the quarter hour; approved by an organiser
(a different number needs a note); points once per sign-up; shift_close marks no-shows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.points.models import PointsEntry
from civicgrid.volunteers import services
from civicgrid.volunteers.models import Shift, Signup
from civicgrid.volunteers.rules import hours_served, quarter_hours
from civicgrid.volunteers.tests.conftest import LAT, LON


def at(vw, minutes: float):
    return vw.start + timedelta(minutes=minutes)


def attend(vw, user, shift=None, t_in=-10, t_out=None):
    shift = shift or vw.shift
    signup = services.signup_apply(shift=shift, user=user)
    now = at(vw, t_in)
    token = services.venue_code(activity=vw.activity, now=now).token
    assert services.check_in(user=user, token=token, lat=LAT, lon=LON, now=now).accepted
    if t_out is not None:
        now = at(vw, t_out)
        token = services.venue_code(activity=vw.activity, now=now).token
        assert services.check_out(user=user, token=token, lat=LAT, lon=LON, now=now).accepted
    return Signup.objects.get(pk=signup.pk)


def test_quarter_hours_and_the_cap(vw):
    assert quarter_hours(0) == 0 and quarter_hours(-500) == 0
    assert quarter_hours(7 * 60) == Decimal("0")  # 7 min → nearest quarter is 0
    assert quarter_hours(8 * 60) == Decimal("0.25")  # 8 min → 0.25 (7.5 rounds up)
    assert quarter_hours(100 * 60) == Decimal("1.75")
    shift = vw.shift  # 9:00–12:00
    assert hours_served(shift, at(vw, -60), at(vw, 300)) == Decimal("3.00")
    assert hours_served(shift, at(vw, 30), at(vw, 100)) == Decimal("1.25")  # 70 min
    assert hours_served(shift, at(vw, 200), at(vw, 250)) == 0  # after the end: never negative


def test_approving_pending_hours_awards_points_once(vw):
    signup = attend(vw, vw.world.citizen, t_out=150)  # 9:00–11:30 → 2.5 h
    assert signup.hours_claimed == Decimal("2.50")
    approved = services.hours_approve(signup=signup, actor=vw.leader, rating=5, evaluation="认真负责")
    assert approved.hours_state == "approved" and approved.hours_approved == Decimal("2.50")
    entries = PointsEntry.objects.filter(source_key=f"volunteer:signup:{signup.pk}")
    assert entries.count() == 1
    assert entries.get().quantity == 2  # whole hours count (points.volunteer_hours_award)
    with pytest.raises(Conflict) as exc:
        services.hours_approve(signup=signup, actor=vw.leader)
    assert exc.value.code == "hours_already_approved"
    assert PointsEntry.objects.filter(source_key=f"volunteer:signup:{signup.pk}").count() == 1


def test_a_corrected_number_needs_a_note_and_stays_within_the_shift(vw):
    signup = attend(vw, vw.world.citizen, t_out=120)
    with pytest.raises(DomainError) as exc:
        services.hours_approve(signup=signup, actor=vw.leader, hours=1)
    assert exc.value.code == "note_required"
    with pytest.raises(DomainError) as exc:
        services.hours_approve(signup=signup, actor=vw.leader, hours=4, note="多干了一小时")
    assert exc.value.code == "hours_invalid"
    done = services.hours_approve(signup=signup, actor=vw.leader, hours="1.5", note="中途离开")
    assert done.hours_approved == Decimal("1.50") and done.hours_note == "中途离开"
    assert done.events.filter(action="hours_corrected").exists()


def test_only_an_organiser_approves_and_only_pending_hours(vw):
    signup = attend(vw, vw.world.citizen)
    with pytest.raises(Conflict) as exc:
        services.hours_approve(signup=signup, actor=vw.leader)
    assert exc.value.code == "hours_not_pending"
    now = at(vw, 60)
    services.check_out(
        user=vw.world.citizen,
        token=services.venue_code(activity=vw.activity, now=now).token,
        lat=LAT,
        lon=LON,
        now=now,
    )
    with pytest.raises(PermissionDenied):
        services.hours_approve(signup=signup, actor=vw.world.citizen)


def test_zero_hours_are_not_recognised_and_award_nothing(vw):
    signup = attend(vw, vw.world.citizen, t_out=60)
    done = services.hours_approve(signup=signup, actor=vw.leader, hours=0, note="未实际参加")
    assert done.hours_state == "rejected"
    assert not PointsEntry.objects.filter(source_key=f"volunteer:signup:{signup.pk}").exists()


def test_shift_close_marks_no_shows_and_counts_stays_without_check_out(vw):
    shift = vw.add_shift(capacity=3)
    stayed = attend(vw, vw.citizen(1), shift=shift, t_in=30)  # in at 9:30, never out
    left = attend(vw, vw.citizen(2), shift=shift, t_out=60)
    absent = services.signup_apply(shift=shift, user=vw.citizen(3))
    waiting = services.signup_apply(shift=shift, user=vw.citizen(4))
    with pytest.raises(Conflict):
        services.shift_close(shift=shift, now=at(vw, 100))
    counts = services.shift_close(shift=shift, actor=vw.leader, now=at(vw, 200))
    assert counts == {"no_show": 1, "expired": 1, "pending": 1}
    stayed = Signup.objects.get(pk=stayed.pk)
    assert stayed.hours_state == "pending" and stayed.hours_claimed == Decimal("2.50")
    assert stayed.hours_note and stayed.checked_out_at is None
    assert Signup.objects.get(pk=absent.pk).state == "no_show"
    assert Signup.objects.get(pk=waiting.pk).state == "cancelled"
    assert Signup.objects.get(pk=left.pk).hours_claimed == Decimal("1.00")
    assert Shift.objects.get(pk=shift.pk).seats_taken == 2
    assert services.shift_close(shift=shift, now=at(vw, 300)) == {"no_show": 0, "expired": 0, "pending": 0}


def test_the_worker_closes_ended_shifts_after_the_check_out_window(vw):
    shift = vw.add_shift(capacity=3)
    absent = services.signup_apply(shift=shift, user=vw.citizen(1))
    assert services.shifts_close_due(now=at(vw, 180 + 30)) == 0  # still in the check-out window
    assert services.shifts_close_due(now=at(vw, 180 + 61)) == 1
    assert Signup.objects.get(pk=absent.pk).state == "no_show"
    assert services.shifts_close_due(now=at(vw, 180 + 62)) == 0
