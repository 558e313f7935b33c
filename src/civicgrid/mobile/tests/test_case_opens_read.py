"""Opening a case reads its notifications: the viewer's, about that case only."""

from __future__ import annotations

from civicgrid.mobile.tests.helpers import move, report
from civicgrid.notifications.models import Notification


def unread(user, case=None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return (qs.filter(case_id=case.pk) if case else qs).count()


def test_opening_a_case_on_the_phone_reads_its_notifications(client, routed_world, categories):
    w = routed_world
    case = report(w.citizen, category=categories["06013"])
    other = report(w.citizen, category=categories["06010"], point=(39.6101, 109.7601))
    for c in (case, other):
        move(c, "register", w.dispatcher)  # "您的上报已立案" to the reporter
    assert unread(w.citizen, case) >= 1 and unread(w.citizen, other) >= 1
    client.force_login(w.citizen)
    assert client.get(f"/m/cases/{case.number}/").status_code == 200
    assert unread(w.citizen, case) == 0
    assert unread(w.citizen, other) >= 1  # another case's stay unread


def test_opening_a_case_in_the_console_reads_only_the_viewers(client, routed_world, categories):
    w = routed_world
    case = report(w.citizen, category=categories["06013"])
    move(case, "register", w.dispatcher)
    if case.status == "registered":
        move(case, "dispatch", w.dispatcher)
    assert unread(w.roads_handler, case) >= 1 and unread(w.citizen, case) >= 1
    client.force_login(w.roads_handler)
    assert client.get(f"/console/cases/{case.number}/").status_code == 200
    assert unread(w.roads_handler, case) == 0
    assert unread(w.citizen, case) >= 1  # the citizen's own notices are theirs to read


def test_a_case_one_may_not_open_reads_nothing(client, routed_world, categories):
    w = routed_world
    case = report(w.citizen, category=categories["06013"])
    move(case, "register", w.dispatcher)
    before = Notification.objects.filter(read_at__isnull=True).count()
    client.force_login(w.inspector)  # not their case
    assert client.get(f"/m/cases/{case.number}/").status_code == 404
    assert Notification.objects.filter(read_at__isnull=True).count() == before
