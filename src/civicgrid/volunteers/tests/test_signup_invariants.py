"""Sign-up invariants under hypothesis: any sequence of sign-ups, cancellations, approvals and declines
by a few people on a small shift (instant or organiser approval, with or without a waiting list).

- `seats_taken` equals the sign-ups holding a place, never above capacity;
- at most one active sign-up per person;
- nobody waits while a place is free on an instant shift (a cancellation promotes at once), and the
  one promoted is the first in line;
- waiting-list ranks are distinct; a refused request changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.volunteers import services
from civicgrid.volunteers.models import ACTIVE_STATES, SEATED_STATES, Shift, Signup, SignupEvent

PEOPLE = 4
operations = st.lists(
    # sign-ups twice as often as anything else, so that shifts fill and waiting lists form
    st.tuples(
        st.sampled_from(["apply", "apply", "cancel", "approve", "decline"]), st.integers(0, PEOPLE - 1)
    ),
    min_size=3,
    max_size=30,
)


class Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ops=operations,
    capacity=st.integers(1, 3),
    method=st.sampled_from(["instant", "approval"]),
    waitlist=st.booleans(),
)
def test_sign_up_invariants_hold_for_any_sequence(ops, capacity, method, waitlist):
    try:
        with transaction.atomic():
            run(ops, capacity, method, waitlist)
            raise Rollback
    except Rollback:
        pass


def run(ops, capacity: int, method: str, waitlist: bool) -> None:
    leader = user_create(phone="13600000099", real_name="队长", role=Role.ADMIN)
    activity = services.activity_create(
        actor=leader, title="巡查", kind="other", address="路口", lat=39.61, lon=109.77
    )
    start = clock.now() + timedelta(days=2)
    shift = services.shift_add(
        activity=activity,
        actor=leader,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=capacity,
        method=method,
        waitlist=waitlist,
    )
    people = []
    for i in range(PEOPLE):
        user = user_create(phone=f"1360000000{i}", real_name=f"志愿者{i}")
        services.volunteer_register(user=user, real_name=f"志愿者{i}", phone=user.phone)
        people.append(user)
    for op, who in ops:
        user = people[who]
        active = Signup.objects.filter(shift=shift, volunteer__user=user, state__in=ACTIVE_STATES).first()
        before = (
            Signup.objects.count(),
            SignupEvent.objects.count(),
            Shift.objects.get(pk=shift.pk).seats_taken,
        )
        first_waiting = (
            Signup.objects.filter(shift=shift, state="waitlisted").order_by("waitlist_rank").first()
        )
        try:
            if op == "apply":
                services.signup_apply(shift=shift, user=user)
            elif op == "cancel" and active is not None:
                was_confirmed = active.state == "confirmed"
                services.signup_cancel(signup=active, actor=user)
                if was_confirmed and first_waiting is not None:
                    assert Signup.objects.get(pk=first_waiting.pk).state == "confirmed"  # first in line
            elif op == "approve" and active is not None:
                services.signup_approve(signup=active, actor=leader)
            elif op == "decline" and active is not None:
                services.signup_decline(signup=active, actor=leader, reason="名额调整")
        except DomainError:
            after = (
                Signup.objects.count(),
                SignupEvent.objects.count(),
                Shift.objects.get(pk=shift.pk).seats_taken,
            )
            assert after == before  # a refusal changes nothing
        check(shift, people)


def check(shift: Shift, people) -> None:
    shift = Shift.objects.get(pk=shift.pk)
    seated = Signup.objects.filter(shift=shift, state__in=SEATED_STATES).count()
    assert shift.seats_taken == seated <= shift.capacity
    for user in people:
        assert Signup.objects.filter(shift=shift, volunteer__user=user, state__in=ACTIVE_STATES).count() <= 1
    waiting = Signup.objects.filter(shift=shift, state="waitlisted")
    if shift.method == "instant" and waiting.exists():
        assert seated == shift.capacity  # nobody waits while a place is free
    ranks = list(waiting.values_list("waitlist_rank", flat=True))
    assert None not in ranks and len(set(ranks)) == len(ranks)
    if not shift.waitlist:
        assert not waiting.exists()
