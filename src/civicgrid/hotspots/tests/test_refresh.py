"""The refresh through the real intake: known clusters found, incremental equals full, cooling, the command."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from civicgrid.cases.models import Case
from civicgrid.core import periodic
from civicgrid.hotspots import clustering
from civicgrid.hotspots.models import HotIssue, HotIssueCase, HotIssueStatus, RefreshState
from civicgrid.hotspots.services import hot_issues_refresh

DAY = 86400.0


def memberships() -> dict[int, frozenset[int]]:
    out: dict[int, set[int]] = {}
    for issue_id, case_id in HotIssueCase.objects.values_list("issue_id", "case_id"):
        out.setdefault(issue_id, set()).add(case_id)
    return {k: frozenset(v) for k, v in out.items()}


def clusters_of_originals(reported) -> tuple[np.ndarray, np.ndarray]:
    """Truth and found labels per generated report, a merged duplicate standing for its original."""
    issue_of = dict(HotIssueCase.objects.values_list("case_id", "issue_id"))
    original = dict(Case.objects.values_list("id", "duplicate_of_id"))
    found = []
    for case in reported.cases:
        pk = original[case.pk] or case.pk
        found.append(issue_of.get(pk, -1))
    return reported.data.truth, np.array(found)


def issue_of(reported, name: str) -> HotIssue:
    """The hot issue of a known cluster (its first report, or the original it was merged into)."""
    case = Case.objects.get(pk=reported.cases[reported.data.clusters[name][0]].pk)
    return HotIssue.objects.get(members__case_id=case.duplicate_of_id or case.pk)


@pytest.mark.django_db
def test_refresh_finds_the_known_clusters_through_the_intake(report_history):
    reported = report_history()
    result = hot_issues_refresh(now=reported.end + timedelta(hours=1))
    assert result.mode == "incremental" and result.new_reports == len(reported.cases)
    truth, found = clusters_of_originals(reported)
    precision, recall = clustering.pairwise_scores(truth, found)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    # Merged duplicates were written by the intake and count as reports of their original.
    assert Case.objects.filter(duplicate_of__isnull=False).exists()
    issues = list(HotIssue.objects.all())
    assert sum(i.report_count for i in issues) >= sum(i.case_count for i in issues)
    assert all(i.report_count >= i.case_count and i.reporter_count >= 1 for i in issues)
    lights = issue_of(reported, "street_lights")
    assert "路灯" in lights.representative_text
    assert lights.street_id is not None and lights.cell_id is not None
    assert lights.first_report_at <= lights.last_report_at


@pytest.mark.django_db
def test_incremental_refreshes_equal_a_full_refresh(report_history):
    reported = report_history(upto=30 * DAY)
    first = hot_issues_refresh(now=reported.epoch + timedelta(days=30))
    reported = report_history(upto=44 * DAY)
    second = hot_issues_refresh(now=reported.epoch + timedelta(days=44))
    assert second.mode == "incremental"
    # The second pass re-clustered only the recent window, not the whole history.
    assert second.reclustered < Case.objects.count()
    reported = report_history()
    hot_issues_refresh(now=reported.end)
    quiet = hot_issues_refresh(now=reported.end)
    assert quiet.mode == "quiet" and quiet.reclustered == 0
    incremental = memberships()
    assert first.issues >= 1 and incremental

    full = hot_issues_refresh(full=True, now=reported.end)
    assert full.mode == "full"
    assert memberships() == incremental  # same clusters, and the issues kept their ids
    HotIssue.objects.all().delete()
    hot_issues_refresh(full=True, now=reported.end)
    assert sorted(memberships().values(), key=min) == sorted(incremental.values(), key=min)


@pytest.mark.django_db
def test_heat_orders_the_issues_and_issues_cool(report_history):
    reported = report_history()
    hot_issues_refresh(now=reported.end)
    issues = list(HotIssue.objects.filter(status=HotIssueStatus.ACTIVE).order_by("-heat"))
    assert issues
    for issue in issues:
        age = (reported.end - issue.last_report_at).total_seconds()
        assert issue.heat == pytest.approx(
            clustering.heat(issue.report_count, issue.reporter_count, age), 1e-3
        )
    # The early potholes stopped three weeks before the end: cooled.
    early = issue_of(reported, "potholes_early")
    assert early.status == HotIssueStatus.COOLED
    # Two weeks later, nothing is active any more.
    result = hot_issues_refresh(now=reported.end + timedelta(days=14))
    assert result.cooled == len(issues)
    assert not HotIssue.objects.filter(status=HotIssueStatus.ACTIVE).exists()


@pytest.mark.django_db
def test_the_command_and_the_worker_task(report_history, settings):
    reported = report_history(upto=30 * DAY)
    out = StringIO()
    call_command("hotspots", "refresh", "--full", stdout=out)
    line = json.loads(out.getvalue())
    assert line["mode"] == "full" and line["new_reports"] == Case.objects.filter(duplicate_of=None).count()
    assert RefreshState.objects.get().last_case_id == Case.objects.latest("id").pk
    assert "hotspots.refresh" in periodic.registered()
    assert not HotIssue.objects.filter(first_report_at__gte=reported.epoch + timedelta(days=40)).exists()
    reported = report_history()
    settings.CIVICGRID_HOT_ISSUE_REFRESH_SECONDS = 0
    periodic.registered()["hotspots.refresh"]()
    assert RefreshState.objects.get().last_case_id == Case.objects.latest("id").pk
    # The worker's pass clustered the reports written since the command: the late potholes too.
    assert issue_of(reported, "potholes_late").report_count >= 3
    # Within CIVICGRID_HOT_ISSUE_REFRESH_SECONDS of a refresh the task does nothing.
    settings.CIVICGRID_HOT_ISSUE_REFRESH_SECONDS = 3600
    assert periodic.registered()["hotspots.refresh"]() is None
