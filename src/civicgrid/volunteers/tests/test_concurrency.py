"""Real concurrency (threads, each with its own database connection), on SQLite and PostgreSQL:
sign-ups never overfill a shift, the waiting list keeps its order, hours award once, one check-in."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connections

from civicgrid.core.errors import DomainError
from civicgrid.points.models import PointsEntry
from civicgrid.volunteers import services
from civicgrid.volunteers.models import CheckAnomaly, Shift, Signup, SignupEvent
from civicgrid.volunteers.tests.conftest import LAT, LON, build_vworld


def race(calls: list[Callable[[], object]]) -> list[str]:
    """Run the calls at once (a barrier), one thread each; what each ended with."""
    start = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call) -> None:
        try:
            start.wait(timeout=30)
            result = call()
            outcome = getattr(result, "state", None) or (
                "accepted" if getattr(result, "accepted", False) else "queued"
            )
        except DomainError as exc:
            outcome = exc.code
        except Exception as exc:  # reported in the assertion
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_sign_ups_to_five_places_confirm_exactly_five(world):
    vw = build_vworld(world)
    shift = vw.add_shift(capacity=5)
    people = [vw.citizen(i) for i in range(20)]
    outcomes = race([lambda p=p: services.signup_apply(shift=shift, user=p) for p in people])
    assert sorted(outcomes) == ["confirmed"] * 5 + ["waitlisted"] * 15, outcomes
    shift = Shift.objects.get(pk=shift.pk)
    assert shift.seats_taken == 5
    assert Signup.objects.filter(shift=shift, state="confirmed").count() == 5
    ranks = list(
        Signup.objects.filter(shift=shift, state="waitlisted").values_list("waitlist_rank", flat=True)
    )
    assert sorted(ranks) == list(range(1, 16))  # a strict order, no two equal

    # cancellations promote in the waiting list's order, also when five cancel at once
    waiting = list(Signup.objects.filter(shift=shift, state="waitlisted").order_by("waitlist_rank"))
    confirmed = list(Signup.objects.filter(shift=shift, state="confirmed").select_related("volunteer__user"))
    outcomes = race([lambda s=s: services.signup_cancel(signup=s, actor=s.volunteer.user) for s in confirmed])
    assert outcomes == ["cancelled"] * 5
    promoted = set(Signup.objects.filter(shift=shift, state="confirmed").values_list("pk", flat=True))
    assert promoted == {s.pk for s in waiting[:5]}
    assert Shift.objects.get(pk=shift.pk).seats_taken == 5


@pytest.mark.django_db(transaction=True)
def test_one_person_signing_up_ten_times_at_once_gets_one_sign_up(world):
    vw = build_vworld(world)
    user = vw.citizen(1)
    outcomes = race([lambda: services.signup_apply(shift=vw.shift, user=user) for _ in range(10)])
    assert sorted(outcomes) == ["already_signed_up"] * 9 + ["confirmed"], outcomes
    assert Signup.objects.filter(shift=vw.shift, volunteer__user=user).count() == 1
    assert Shift.objects.get(pk=vw.shift.pk).seats_taken == 1


@pytest.mark.django_db(transaction=True)
def test_hours_approved_twice_at_once_award_once(world):
    vw = build_vworld(world)
    user = vw.world.citizen
    signup = services.signup_apply(shift=vw.shift, user=user)
    t_in, t_out = vw.start, vw.start + timedelta(hours=2)
    services.check_in(
        user=user, token=services.venue_code(activity=vw.activity, now=t_in).token, lat=LAT, lon=LON, now=t_in
    )
    services.check_out(
        user=user,
        token=services.venue_code(activity=vw.activity, now=t_out).token,
        lat=LAT,
        lon=LON,
        now=t_out,
    )
    outcomes = race([lambda: services.hours_approve(signup=signup, actor=vw.leader) for _ in range(6)])
    assert sorted(outcomes) == ["attended"] + ["hours_already_approved"] * 5, outcomes
    assert PointsEntry.objects.filter(source_key=f"volunteer:signup:{signup.pk}").count() == 1
    assert SignupEvent.objects.filter(signup=signup, action="hours_approved").count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_check_ins_of_one_person_record_one(world):
    vw = build_vworld(world)
    user = vw.world.citizen
    signup = services.signup_apply(shift=vw.shift, user=user)
    now = vw.start
    token = services.venue_code(activity=vw.activity, now=now).token
    outcomes = race(
        [lambda: services.check_in(user=user, token=token, lat=LAT, lon=LON, now=now) for _ in range(5)]
    )
    assert sorted(outcomes) == ["accepted"] + ["queued"] * 4, outcomes
    assert SignupEvent.objects.filter(signup=signup, action="checked_in").count() == 1
    assert CheckAnomaly.objects.filter(signup=signup, kind="second_checkin").count() == 1
