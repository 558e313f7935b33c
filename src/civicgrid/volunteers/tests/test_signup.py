"""Sign-up rules: places, the waiting list in order, one active sign-up per person, the checks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.notifications.models import Notification
from civicgrid.testing import assert_append_only
from civicgrid.volunteers import services
from civicgrid.volunteers.models import Qualification, Shift, Signup, SignupEvent, SignupState


def states(shift):
    return list(Signup.objects.filter(shift=shift).order_by("id").values_list("state", flat=True))


def test_confirmed_while_there_is_room_then_waitlisted_in_order(vw):
    shift = vw.add_shift(capacity=2)
    people = [vw.citizen(i) for i in range(4)]
    signups = [services.signup_apply(shift=shift, user=p) for p in people]
    assert [s.state for s in signups] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert Shift.objects.get(pk=shift.pk).seats_taken == 2
    assert [services.waitlist_position(s) for s in signups] == [None, None, 1, 2]


def test_cancelling_promotes_the_first_waitlisted_and_tells_them(vw):
    shift = vw.add_shift(capacity=1)
    a, b, c = (vw.citizen(i) for i in range(3))
    first = services.signup_apply(shift=shift, user=a)
    second = services.signup_apply(shift=shift, user=b)
    third = services.signup_apply(shift=shift, user=c)
    services.signup_cancel(signup=first, actor=a)
    assert states(shift) == ["cancelled", "confirmed", "waitlisted"]
    assert Notification.objects.filter(recipient=b, kind="volunteer", title__contains="候补成功").count() == 1
    assert not Notification.objects.filter(recipient=c).exists()
    assert services.waitlist_position(Signup.objects.get(pk=third.pk)) == 1
    assert Shift.objects.get(pk=shift.pk).seats_taken == 1
    # the second cancellation moves the third up
    services.signup_cancel(signup=Signup.objects.get(pk=second.pk), actor=b)
    assert states(shift) == ["cancelled", "cancelled", "confirmed"]
    actions = list(SignupEvent.objects.filter(signup=second).values_list("action", flat=True))
    assert actions == ["applied", "waitlisted", "promote", "cancel"]


def test_cancelling_a_waitlisted_sign_up_promotes_nobody(vw):
    shift = vw.add_shift(capacity=1)
    a, b = vw.citizen(1), vw.citizen(2)
    services.signup_apply(shift=shift, user=a)
    waiting = services.signup_apply(shift=shift, user=b)
    services.signup_cancel(signup=waiting, actor=b)
    assert states(shift) == ["confirmed", "cancelled"]
    assert Shift.objects.get(pk=shift.pk).seats_taken == 1


def test_full_shift_without_waiting_list_is_refused(vw):
    shift = vw.add_shift(capacity=1, waitlist=False)
    services.signup_apply(shift=shift, user=vw.citizen(1))
    with pytest.raises(Conflict) as exc:
        services.signup_apply(shift=shift, user=vw.citizen(2))
    assert exc.value.code == "shift_full"
    assert Signup.objects.filter(shift=shift).count() == 1


def test_one_active_sign_up_per_person_and_shift(vw):
    user = vw.world.citizen
    services.signup_apply(shift=vw.shift, user=user)
    with pytest.raises(Conflict) as exc:
        services.signup_apply(shift=vw.shift, user=user)
    assert exc.value.code == "already_signed_up"
    # the database refuses it too, whatever the service checks
    with pytest.raises(IntegrityError), transaction.atomic():
        Signup.objects.create(shift=vw.shift, volunteer=user.volunteer, state=SignupState.WAITLISTED)


def test_after_cancelling_one_may_sign_up_again(vw):
    user = vw.world.citizen
    s = services.signup_apply(shift=vw.shift, user=user)
    services.signup_cancel(signup=s, actor=user)
    again = services.signup_apply(shift=vw.shift, user=user)
    assert again.state == "confirmed"


def test_not_a_volunteer_deadline_age_and_qualification(vw):
    with pytest.raises(DomainError) as exc:
        services.signup_apply(shift=vw.shift, user=vw.world.dispatcher)
    assert exc.value.code == "not_volunteer"

    late = vw.add_shift(signup_deadline=vw.start - timedelta(days=2))
    with pytest.raises(DomainError) as exc:
        services.signup_apply(shift=late, user=vw.world.citizen)
    assert exc.value.code == "signup_closed" and exc.value.status == 400

    adults = vw.add_shift(min_age=18)
    with pytest.raises(DomainError) as exc:
        services.signup_apply(shift=adults, user=vw.world.citizen)
    assert exc.value.code == "birth_date_required"
    young = vw.citizen(1)
    services.volunteer_register(
        user=young, real_name="少年", phone=young.phone, birth_date=date.today() - timedelta(days=365 * 15)
    )
    with pytest.raises(DomainError) as exc:
        services.signup_apply(shift=adults, user=young)
    assert exc.value.code == "too_young"

    first_aid = Qualification.objects.create(code="first_aid", name="急救证")
    medics = vw.add_shift(qualification=first_aid)
    with pytest.raises(DomainError) as exc:
        services.signup_apply(shift=medics, user=vw.world.citizen)
    assert exc.value.code == "qualification_required"
    services.qualification_grant(
        volunteer=vw.world.citizen.volunteer, qualification=first_aid, actor=vw.world.admin
    )
    assert services.signup_apply(shift=medics, user=vw.world.citizen).state == "confirmed"
    assert Signup.objects.filter(volunteer__user=young).count() == 0


def test_sign_up_closes_at_the_start(vw):
    with time_machine.travel(vw.start + timedelta(minutes=1)):
        with pytest.raises(DomainError) as exc:
            services.signup_apply(shift=vw.shift, user=vw.world.citizen)
    assert exc.value.code == "signup_closed"


def test_approval_shift_applied_then_approved_or_waitlisted_or_declined(vw):
    shift = vw.add_shift(capacity=1, method="approval")
    a, b, c = vw.citizen(1), vw.citizen(2), vw.citizen(3)
    sa, sb, sc = (services.signup_apply(shift=shift, user=u) for u in (a, b, c))
    assert {sa.state, sb.state, sc.state} == {"applied"}
    assert Shift.objects.get(pk=shift.pk).seats_taken == 0
    with pytest.raises(PermissionDenied):
        services.signup_approve(signup=sa, actor=b)
    assert services.signup_approve(signup=sa, actor=vw.leader).state == "confirmed"
    assert services.signup_approve(signup=sb, actor=vw.leader).state == "waitlisted"
    declined = services.signup_decline(signup=sc, actor=vw.leader, reason="不符合要求")
    assert declined.state == "declined"
    assert Notification.objects.filter(recipient=c, title__contains="未通过").exists()
    with pytest.raises(Conflict):
        services.signup_approve(signup=Signup.objects.get(pk=sa.pk), actor=vw.leader)


def test_an_organiser_cancels_a_volunteer_who_is_told(vw):
    s = services.signup_apply(shift=vw.shift, user=vw.world.citizen)
    services.signup_cancel(signup=s, actor=vw.leader, reason="人员调整")
    assert Notification.objects.filter(recipient=vw.world.citizen, body__contains="人员调整").exists()
    other = vw.citizen(1)
    s2 = services.signup_apply(shift=vw.shift, user=other)
    with pytest.raises(PermissionDenied):
        services.signup_cancel(signup=s2, actor=vw.world.citizen)


def test_cancelling_the_activity_cancels_every_sign_up(vw):
    users = [vw.citizen(i) for i in range(3)]
    for u in users:
        services.signup_apply(shift=vw.shift, user=u)
    services.activity_cancel(activity=vw.activity, actor=vw.leader, reason="天气原因")
    assert set(states(vw.shift)) == {"cancelled"}
    assert Shift.objects.get(pk=vw.shift.pk).seats_taken == 0
    assert Notification.objects.filter(kind="volunteer", body__contains="天气原因").count() == 3


def test_sign_up_events_are_append_only(vw):
    s = services.signup_apply(shift=vw.shift, user=vw.world.citizen)
    assert_append_only(SignupEvent.objects.filter(signup=s).first())


def test_who_may_organise(vw):
    w = vw.world
    assert services.may_organise(vw.leader, vw.activity)
    assert services.may_organise(w.admin, vw.activity)
    assert not services.may_organise(w.citizen, vw.activity)
    assert not services.may_organise(w.roads_handler, vw.activity)
    dept = services.activity_create(
        actor=w.roads_handler, title="清洁", kind="cleaning", address="某路", lat=39.61, lon=109.77
    )
    assert dept.department == w.departments["ZJJ_SZ"]
    assert services.may_organise(w.department_admin, dept)  # the bureau above the section
    assert not services.may_organise(w.parks_handler, dept)
    with pytest.raises(PermissionDenied):
        services.activity_create(actor=w.citizen, title="x", kind="other", address="y", lat=39.61, lon=109.77)


def test_copy_last_weeks_activity_moves_its_shifts(vw):
    copy = services.activity_copy(activity=vw.activity, actor=vw.leader)
    assert copy.pk != vw.activity.pk and copy.venue_secret != vw.activity.venue_secret
    assert [s.starts_at for s in copy.shifts.all()] == [vw.start + timedelta(days=7)]
    assert copy.shifts.get().seats_taken == 0
