"""Alerts: a hot issue past CIVICGRID_HOT_ISSUE_ALERT_HEAT tells the leaders and its department once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from shapely.geometry import box

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.grids.models import Street
from civicgrid.hotspots.models import HotIssue
from civicgrid.hotspots.services import ALERT_KIND, hot_issues_refresh
from civicgrid.notifications.models import Notification
from civicgrid.taxonomy.models import Category, RoutingRule


@pytest.fixture
def elsewhere_leader(world):
    """A leader commanding another street of the district (no hot issue there)."""
    street = Street(code="150603002", name="哈巴格希街道", district=world.district)
    street.set_shape(box(109.80, 39.60, 109.82, 39.62))
    street.save()
    leader = user_create(phone="13900000018", password="x-pass-2026", real_name="钱勇", role=Role.LEADER)
    leader.command_area = "150603002"
    leader.save(update_fields=["command_area"])
    return leader


@pytest.mark.django_db
def test_a_hot_issue_alerts_leaders_and_its_department_once(
    report_history, world, settings, elsewhere_leader
):
    settings.CIVICGRID_HOT_ISSUE_ALERT_HEAT = 10
    # The street lights' category is routed to the roads section (刘洋 is its handler, it has no admin).
    lights = Category.objects.get(name="测试分类1")
    RoutingRule.objects.create(category=lights, department=world.departments["ZJJ_SZ"])
    reported = report_history(upto=44 * 86400)
    now = reported.epoch + timedelta(days=44)
    first = hot_issues_refresh(now=now)
    hot = list(HotIssue.objects.filter(heat__gte=10, status="active"))
    assert hot and first.alerted == len(hot)
    assert all(i.alerted_at is not None for i in hot)
    assert not HotIssue.objects.filter(heat__lt=10, alerted_at__isnull=False).exists()
    sent = list(Notification.objects.filter(kind=ALERT_KIND))
    to_leader = [n for n in sent if n.recipient_id == world.leader.pk]
    assert len(to_leader) == len(hot)
    assert to_leader[0].link.startswith("/dashboard/hotspots/") and "热度" in to_leader[0].title
    # The leader of another street hears nothing of this street's issues.
    assert not any(n.recipient_id == elsewhere_leader.pk for n in sent)
    lights_issue = HotIssue.objects.get(category=lights)
    assert lights_issue.department == world.departments["ZJJ_SZ"]
    assert lights_issue in hot
    assert any(n.recipient_id == world.roads_handler.pk for n in sent)
    # Other departments' staff and citizens are not told.
    assert not any(n.recipient_id in (world.parks_handler.pk, world.citizen.pk) for n in sent)

    # Later refreshes — incremental after more reports, then a full one — alert no issue twice: the
    # issues keep their ids (and alerted_at) however they are re-clustered.
    alerted_at = {i.pk: i.alerted_at for i in hot}
    report_history()
    hot_issues_refresh(now=reported.end)
    full = hot_issues_refresh(full=True, now=reported.end)
    assert full.alerted == 0
    for pk, at in alerted_at.items():
        assert HotIssue.objects.get(pk=pk).alerted_at == at
    keys = list(Notification.objects.filter(kind=ALERT_KIND).values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))
    per_issue_to_leader = [k for k in keys if k.endswith(f":{world.leader.pk}")]
    assert len(per_issue_to_leader) == HotIssue.objects.filter(alerted_at__isnull=False).count()


@pytest.mark.django_db
def test_below_the_threshold_nobody_is_alerted(report_history, settings):
    settings.CIVICGRID_HOT_ISSUE_ALERT_HEAT = 1_000_000
    reported = report_history()
    assert hot_issues_refresh(now=reported.end).alerted == 0
    assert not Notification.objects.filter(kind=ALERT_KIND).exists()
    assert not HotIssue.objects.filter(alerted_at__isnull=False).exists()


@pytest.mark.django_db
def test_an_issue_alerts_when_it_first_passes_the_threshold(report_history, world, settings):
    settings.CIVICGRID_HOT_ISSUE_ALERT_HEAT = 10
    reported = report_history(upto=41 * 86400)
    hot_issues_refresh(now=reported.epoch + timedelta(days=41))
    before = set(HotIssue.objects.filter(alerted_at__isnull=False).values_list("id", flat=True))
    reported = report_history()
    hot_issues_refresh(now=reported.end)
    after = set(HotIssue.objects.filter(alerted_at__isnull=False).values_list("id", flat=True))
    assert before < after  # the issues of the later days passed it in the second refresh
    per_issue = {}
    for n in Notification.objects.filter(kind=ALERT_KIND, recipient=world.leader):
        key = n.dedupe_key.split(":")[1]
        per_issue[key] = per_issue.get(key, 0) + 1
    assert set(per_issue.values()) == {1} and len(per_issue) == len(after)
