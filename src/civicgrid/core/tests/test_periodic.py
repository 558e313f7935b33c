"""The periodic-task registry: what the apps register, in what order it runs, failures and switches."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from civicgrid.accounts.clients import api_rate_windows_prune
from civicgrid.analytics.rollups import apply_pending
from civicgrid.audit.services import api_call_purge_expired, audit_purge_expired
from civicgrid.cases.tasks import overdue_digest, scan_overdue
from civicgrid.classifier.training import nightly_retrain
from civicgrid.core import periodic
from civicgrid.evaluation.rectification import tasks_overdue_escalate
from civicgrid.hotspots.services import refresh_due
from civicgrid.points.services import uncivil_confirm_due
from civicgrid.volunteers.checkin import remind_upcoming, shifts_close_due
from civicgrid.webhooks.services import run_once as webhooks_run_once


def test_the_apps_register_their_tasks_at_start():
    assert periodic.registered() == {
        "accounts.api_rate_windows_prune": api_rate_windows_prune,
        "cases.scan_overdue": scan_overdue,
        "cases.overdue_digest": overdue_digest,
        "analytics.apply_pending": apply_pending,
        "points.uncivil_confirm_due": uncivil_confirm_due,
        "audit.purge_expired": audit_purge_expired,
        "audit.purge_api_calls": api_call_purge_expired,
        "classifier.nightly_retrain": nightly_retrain,
        "hotspots.refresh": refresh_due,
        "webhooks.deliver": webhooks_run_once,
        "volunteers.remind_upcoming": remind_upcoming,
        "volunteers.shifts_close_due": shifts_close_due,
        "evaluation.tasks_overdue_escalate": tasks_overdue_escalate,
    }


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test; the apps' own tasks are back afterwards."""
    monkeypatch.setattr(periodic, "_tasks", {})
    monkeypatch.setattr(periodic, "_last_errors", {})
    calls: list[str] = []

    def task(name: str, error: Exception | None = None):
        def run() -> None:
            calls.append(name)
            if error is not None:
                raise error

        periodic.register(name, run)

    task.calls = calls
    return task


def test_every_task_runs_in_the_order_registered(registry):
    registry("b.second")
    registry("a.first")
    periodic.run_all()
    periodic.run_all()
    assert registry.calls == ["b.second", "a.first", "b.second", "a.first"]


def test_a_failing_task_does_not_stop_the_others(registry, caplog):
    registry("cases.broken", RuntimeError("scanner broke"))
    registry("points.fine")
    periodic.run_all()
    assert registry.calls == ["cases.broken", "points.fine"]
    assert "periodic task cases.broken failed" in caplog.text


def test_a_task_failing_the_same_way_logs_its_traceback_once(registry, caplog):
    registry("cases.broken", RuntimeError("scanner broke"))
    for _ in range(3):
        periodic.run_all()
    failures = [r for r in caplog.records if "cases.broken" in r.getMessage()]
    assert [bool(r.exc_info) for r in failures] == [True, False, False]
    assert "failed again: RuntimeError: scanner broke" in failures[-1].getMessage()


def test_tasks_switched_off_are_skipped(registry, settings):
    registry("cases.scan")
    registry("analytics.count")
    settings.CIVICGRID_PERIODIC_TASKS_OFF = ["cases.scan"]
    periodic.run_all()
    assert registry.calls == ["analytics.count"]


def test_switching_off_a_task_that_is_not_registered_fails_loudly(registry, settings):
    registry("cases.scan")
    settings.CIVICGRID_PERIODIC_TASKS_OFF = ["cases.scna"]
    with pytest.raises(ImproperlyConfigured, match="CIVICGRID_PERIODIC_TASKS_OFF.*'cases.scna'.*cases.scan"):
        periodic.run_all()
    assert registry.calls == []
