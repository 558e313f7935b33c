"""通知设置: a person chooses, per kind, the inbox and/or SMS — and delivery follows the choice."""

from __future__ import annotations

from civicgrid.mobile.tests.helpers import move, report
from civicgrid.notifications.models import Notification, NotificationPreference


def test_a_citizen_sets_sms_only_for_progress_and_delivery_follows(client, routed_world, categories):
    w = routed_world
    client.force_login(w.citizen)
    page = client.get("/m/notifications/settings/").content.decode()
    assert "我的上报有进展" in page and 'name="in_app:case_progress" checked' in page
    assert "新派遣" not in page  # staff kinds are not a citizen's
    response = client.post(
        "/m/notifications/settings/", {"kind:case_progress": "1", "sms:case_progress": "on"}
    )
    assert response.status_code == 302
    assert NotificationPreference.objects.filter(
        user=w.citizen, kind="case_progress", in_app=False, sms=True
    ).exists()
    case = report(w.citizen, category=categories["06013"])
    move(case, "register", w.dispatcher)
    told = Notification.objects.filter(recipient=w.citizen, title__startswith="您的上报已立案").get()
    assert "sms" in told.channels and told.read_at is not None  # sent by SMS, not waiting in the inbox
    assert not Notification.objects.filter(recipient=w.citizen, read_at__isnull=True).exists()


def test_turning_a_kind_off_writes_nothing(client, routed_world, categories):
    w = routed_world
    client.force_login(w.citizen)
    client.post("/m/notifications/settings/", {"kind:case_progress": "1"})
    case = report(w.citizen, category=categories["06013"])
    move(case, "register", w.dispatcher)
    assert not Notification.objects.filter(recipient=w.citizen, title__startswith="您的上报已立案").exists()


def test_staff_set_their_kinds_in_the_console(client, routed_world, categories):
    w = routed_world
    client.force_login(w.roads_handler)
    page = client.get("/console/notifications/settings/").content.decode()
    assert "新派遣、返工与重办的案件" in page and "超期（红灯）汇总" in page
    assert client.post("/console/notifications/settings/", {"kind:case_dispatched": "1"}).status_code == 302
    case = report(w.citizen, category=categories["06013"])
    move(case, "register", w.dispatcher)
    if case.status == "registered":
        move(case, "dispatch", w.dispatcher)
    assert not Notification.objects.filter(recipient=w.roads_handler, kind="case_dispatched").exists()


def test_an_unknown_kind_is_refused_and_changes_nothing(client, routed_world):
    w = routed_world
    client.force_login(w.citizen)
    response = client.post(
        "/m/notifications/settings/",
        {"kind:case_progress": "1", "kind:case_dispatched": "1", "in_app:case_dispatched": "on"},
    )
    assert response.status_code == 422 and "未知的通知类型" in response.content.decode()
    assert not NotificationPreference.objects.exists()
    client.force_login(w.roads_handler)
    response = client.post("/console/notifications/settings/", {"kind:nonsense": "1"})
    assert response.status_code == 422 and not NotificationPreference.objects.exists()
