"""What volunteers are told: reminders the day before (once per shift, by the worker), decisions on
their check-ins, roster messages; and the worker's tasks are registered."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from civicgrid.core import periodic
from civicgrid.notifications.models import Notification
from civicgrid.volunteers import services
from civicgrid.volunteers.models import Shift
from civicgrid.volunteers.tests.conftest import LAT, LON


def test_the_worker_runs_the_volunteer_tasks():
    assert "volunteers.remind_upcoming" in periodic.registered()
    assert "volunteers.shifts_close_due" in periodic.registered()


def test_a_reminder_the_day_before_goes_once_to_the_confirmed(vw):
    confirmed = [vw.citizen(i) for i in range(2)]
    shift = vw.add_shift(capacity=2)
    for user in confirmed:
        services.signup_apply(shift=shift, user=user)
    waiting = vw.citizen(9)
    services.signup_apply(shift=shift, user=waiting)
    too_early = vw.start - timedelta(hours=25)
    assert services.remind_upcoming(now=too_early) == 0
    day_before = vw.start - timedelta(hours=20)
    assert services.remind_upcoming(now=day_before) == 2
    assert services.remind_upcoming(now=day_before + timedelta(minutes=1)) == 0
    assert Shift.objects.get(pk=shift.pk).reminded_at == day_before
    for user in confirmed:
        told = Notification.objects.get(recipient=user, title__startswith="明日志愿活动提醒")
        assert vw.activity.address in told.body
    assert not Notification.objects.filter(recipient=waiting, title__startswith="明日").exists()


def test_no_reminder_for_a_cancelled_activity(vw):
    services.signup_apply(shift=vw.shift, user=vw.world.citizen)
    services.activity_cancel(activity=vw.activity, actor=vw.leader, reason="暴雨")
    assert services.remind_upcoming(now=vw.start - timedelta(hours=2)) == 0


def test_the_volunteer_hears_of_the_decision_on_their_check_in(vw):
    user = vw.world.citizen
    services.signup_apply(shift=vw.shift, user=user)
    now = vw.start
    token = services.venue_code(activity=vw.activity, now=now).token
    queued = services.check_in(user=user, token=token, now=now)  # no location
    services.anomaly_decide(anomaly=queued.anomaly, actor=vw.leader, accept=False, note="请到现场后重新扫码")
    told = Notification.objects.get(recipient=user, title__startswith="签到审核未通过")
    assert "请到现场后重新扫码" in told.body


def test_an_accepted_late_check_out_counts_its_hours(vw):
    user = vw.world.citizen
    signup = services.signup_apply(shift=vw.shift, user=user)
    t_in = vw.start
    services.check_in(
        user=user, token=services.venue_code(activity=vw.activity, now=t_in).token, lat=LAT, lon=LON, now=t_in
    )
    late = vw.start + timedelta(hours=5)  # two hours past the end: outside the check-out window
    out = services.check_out(
        user=user, token=services.venue_code(activity=vw.activity, now=late).token, lat=LAT, lon=LON, now=late
    )
    assert out.anomaly.kind == "outside_window"
    services.anomaly_decide(anomaly=out.anomaly, actor=vw.leader, accept=True, note="忘记签退")
    signup.refresh_from_db()
    assert signup.checked_out_at == late and str(signup.hours_claimed) == "3.00"  # capped at the shift
    assert signup.hours_state == "pending"


def test_a_no_show_whose_check_in_is_accepted_afterwards_attended(vw):
    user = vw.world.citizen
    signup = services.signup_apply(shift=vw.shift, user=user)
    now = vw.start + timedelta(minutes=10)
    far = services.check_in(
        user=user,
        token=services.venue_code(activity=vw.activity, now=now).token,
        lat=LAT + 0.02,
        lon=LON,
        now=now,
    )
    services.shift_close(shift=vw.shift, now=vw.start + timedelta(hours=4))
    signup.refresh_from_db()
    assert signup.state == "no_show"
    with time_machine.travel(vw.start + timedelta(hours=5)):
        services.anomaly_decide(anomaly=far.anomaly, actor=vw.leader, accept=True, note="定位偏差，本人在场")
    signup.refresh_from_db()
    assert signup.state == "attended" and signup.checked_in_at == now
    assert signup.hours_state == "pending" and str(signup.hours_claimed) == "2.75"
    assert Shift.objects.get(pk=vw.shift.pk).seats_taken == 1
