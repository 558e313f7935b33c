"""run_once(): the periodic tasks of CIVICGRID_WORKER_TASKS, and stopping mid-batch."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import run_once
from civicgrid.notifications.tests.fakes import FlakySender

FAKES = "civicgrid.notifications.tests.fakes"


def test_run_once_runs_the_worker_tasks(db, settings, tasks):
    settings.CIVICGRID_WORKER_TASKS = [f"{FAKES}.record_task"]
    assert run_once() == 0
    assert run_once() == 0
    assert tasks.task_calls == ["record", "record"]


def test_no_tasks_without_the_setting(db, settings, tasks):
    del settings.CIVICGRID_WORKER_TASKS
    assert run_once() == 0
    assert tasks.task_calls == []


def test_a_failing_task_does_not_stop_the_others_or_the_delivery(db, settings, tasks, flaky, caplog):
    settings.CIVICGRID_WORKER_TASKS = [f"{FAKES}.failing_task", f"{FAKES}.record_task"]
    from civicgrid.notifications.services import notify

    n = notify(recipient=None, kind="case_overdue", title="超期", body="")
    assert run_once(now=n.next_attempt_at) == 1
    assert tasks.task_calls == ["failing", "record"]
    assert flaky.sent == [n.pk]
    assert "worker task civicgrid.notifications.tests.fakes.failing_task failed" in caplog.text


def test_a_task_failing_the_same_way_logs_its_traceback_once(db, settings, tasks, caplog):
    settings.CIVICGRID_WORKER_TASKS = [f"{FAKES}.failing_task"]
    for _ in range(3):
        run_once()
    failures = [r for r in caplog.records if "failing_task" in r.getMessage()]
    assert [bool(r.exc_info) for r in failures] == [True, False, False]
    assert "failed again: RuntimeError: scanner broke" in failures[-1].getMessage()


def test_a_task_that_does_not_import_fails_loudly(db, settings):
    settings.CIVICGRID_WORKER_TASKS = ["civicgrid.cases.nope.scan_overdue"]
    with pytest.raises(ImproperlyConfigured, match="CIVICGRID_WORKER_TASKS"):
        run_once()


def test_a_task_can_queue_notifications_delivered_in_the_same_pass(db, settings, flaky, monkeypatch):
    from civicgrid.notifications.tests import fakes

    def scan() -> None:
        from civicgrid.notifications.services import notify

        notify(recipient=None, kind="case_overdue", title="超期", body="", dedupe_key="overdue:1:1")

    monkeypatch.setattr(fakes, "scan", scan, raising=False)
    settings.CIVICGRID_WORKER_TASKS = [f"{FAKES}.scan"]
    assert run_once() == 1
    assert run_once() == 0  # deduplicated on the next pass
    assert len(flaky.sent) == 1


def test_stopping_mid_batch_gives_the_rest_back(db, flaky):
    from civicgrid.notifications.services import notify

    rows = [notify(recipient=None, kind="case_progress", title=f"进展 {i}", body="") for i in range(3)]
    now = max(n.next_attempt_at for n in rows)
    calls = {"n": 0}

    def stop_after_one() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    assert run_once(now=now, should_stop=stop_after_one) == 1
    assert FlakySender.sent == [rows[0].pk]
    left = Notification.objects.filter(processed_at__isnull=True)
    assert left.count() == 2 and not left.filter(claimed_at__isnull=False).exists()
    assert run_once(now=now) == 2  # another pass (or worker) takes them at once, not after the lease
