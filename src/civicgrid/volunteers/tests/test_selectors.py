"""The reads the pages use: activities near a place (filters), an activity's shifts with their counts,
my sign-ups, the roster in order, an organiser's activities, review queue and pending hours — with
pinned query counts where a page lists things."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.core.errors import NotFound
from civicgrid.volunteers import selectors, services
from civicgrid.volunteers.tests.conftest import LAT, LON


def test_activities_near_filters_by_distance_type_and_date(vw):
    far = services.activity_create(
        actor=vw.leader, title="远处", kind="traffic", address="x", lat=LAT + 0.2, lon=LON, team=vw.team
    )
    services.shift_add(
        activity=far, actor=vw.leader, starts_at=vw.start, ends_at=vw.start + timedelta(hours=1), capacity=3
    )
    cleaning = services.activity_create(
        actor=vw.leader, title="清洁", kind="cleaning", address="y", lat=LAT + 0.005, lon=LON, team=vw.team
    )
    later = vw.start + timedelta(days=10)
    services.shift_add(
        activity=cleaning, actor=vw.leader, starts_at=later, ends_at=later + timedelta(hours=2), capacity=3
    )
    services.activity_create(
        actor=vw.leader, title="无班次", kind="care", address="z", lat=LAT, lon=LON, team=vw.team
    )
    draft = services.activity_create(
        actor=vw.leader, title="草稿", kind="care", address="z", lat=LAT, lon=LON, team=vw.team, publish=False
    )
    services.shift_add(
        activity=draft, actor=vw.leader, starts_at=vw.start, ends_at=vw.start + timedelta(hours=1), capacity=3
    )

    near = selectors.activities_near(LAT, LON, radius_m=5000)
    assert [a.title for a in near] == [
        "文明交通劝导",
        "清洁",
    ]  # nearest first; no far, shift-less or draft ones
    assert near[0].distance_m == 0 and 500 < near[1].distance_m < 600
    assert [a.title for a in selectors.activities_near(LAT, LON, radius_m=5000, kind="cleaning")] == ["清洁"]
    day = vw.start.date()
    assert [
        a.title for a in selectors.activities_near(LAT, LON, radius_m=5000, date_from=day, date_to=day)
    ] == ["文明交通劝导"]
    assert len(selectors.activities_near(LAT, LON, radius_m=50_000)) == 3


def test_activities_near_takes_a_fixed_number_of_queries(vw):
    for i in range(6):
        a = services.activity_create(
            actor=vw.leader,
            title=f"活动{i}",
            kind="traffic",
            address="x",
            lat=LAT + i * 0.001,
            lon=LON,
            team=vw.team,
        )
        for d in range(3):
            start = vw.start + timedelta(days=d)
            services.shift_add(
                activity=a, actor=vw.leader, starts_at=start, ends_at=start + timedelta(hours=1), capacity=3
            )
    with CaptureQueriesContext(connection) as queries:
        found = selectors.activities_near(LAT, LON, radius_m=5000)
        shown = [(s.capacity, s.waitlisted, s.qualification) for a in found for s in a.shown_shifts]
    assert len(found) == 7 and len(shown) == 19
    assert len(queries) == 3, [q["sql"] for q in queries]


def test_activity_detail_hides_drafts_from_all_but_organisers(vw):
    draft = services.activity_create(
        actor=vw.leader, title="草稿", kind="care", address="z", lat=LAT, lon=LON, team=vw.team, publish=False
    )
    with pytest.raises(NotFound):
        selectors.activity_detail(draft.pk, viewer=vw.world.citizen)
    assert selectors.activity_detail(draft.pk, viewer=vw.leader) == draft
    detail = selectors.activity_detail(vw.activity.pk)
    assert [s.pk for s in detail.shown_shifts] == [vw.shift.pk]


def test_roster_order_and_waiting_positions(vw):
    shift = vw.add_shift(capacity=1)
    users = [vw.citizen(i) for i in range(4)]
    signups = [services.signup_apply(shift=shift, user=u) for u in users]
    services.signup_cancel(signup=signups[3], actor=users[3])
    roster = selectors.roster(shift)
    assert [(s.pk, s.state, s.position) for s in roster] == [
        (signups[0].pk, "confirmed", None),
        (signups[1].pk, "waitlisted", 1),
        (signups[2].pk, "waitlisted", 2),
        (signups[3].pk, "cancelled", None),
    ]


def test_my_signups_and_the_organisers_lists(vw):
    w = vw.world
    services.signup_apply(shift=vw.shift, user=w.citizen)
    assert [s.shift_id for s in selectors.my_signups(w.citizen)] == [vw.shift.pk]
    assert list(selectors.organised_activities(vw.leader)) == [vw.activity]
    assert list(selectors.organised_activities(w.citizen)) == []
    assert vw.activity in selectors.organised_activities(w.admin)
    queued = services.check_in(
        user=w.citizen, token=services.venue_code(activity=vw.activity, now=vw.start).token, now=vw.start
    )
    assert list(selectors.review_queue(vw.leader)) == [queued.anomaly]
    assert list(selectors.review_queue(w.parks_handler)) == []
    services.anomaly_decide(anomaly=queued.anomaly, actor=vw.leader, accept=True, note="")
    assert list(selectors.review_queue(vw.leader)) == []
    assert len(selectors.review_queue(vw.leader, state="")) == 1
    services.shift_close(shift=vw.shift, now=vw.start + timedelta(hours=4))
    assert [s.volunteer.user for s in selectors.pending_hours(vw.leader)] == [w.citizen]
    assert list(selectors.pending_hours(w.citizen)) == []
