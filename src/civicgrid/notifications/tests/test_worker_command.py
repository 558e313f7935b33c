"""`civicgrid worker`: one pass with --once (the periodic tasks, then the outbox); the loop stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command

from civicgrid.core import periodic
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import notify


def test_once_delivers_and_exits(db, flaky):
    n = notify(recipient=None, kind="case_progress", title="进展", body="")
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "processed 1 notification(s)" in out.getvalue()
    n.refresh_from_db()
    assert n.processed_at is not None and flaky.sent == [n.pk]


def test_a_pass_runs_the_periodic_tasks_then_delivers_what_they_queued(db, flaky, tasks):
    def scan() -> None:
        tasks.task_calls.append("scan")
        notify(recipient=None, kind="case_overdue", title="超期", body="", dedupe_key="overdue:1:1")

    periodic.register(
        "test.failing", tasks.failing_task
    )  # a failing task stops neither the others nor delivery
    periodic.register("test.scan", scan)
    for expected in ("processed 1 notification(s)", "processed 0 notification(s)"):  # deduplicated next time
        out = StringIO()
        call_command("worker", "--once", stdout=out)
        assert expected in out.getvalue()
    assert tasks.task_calls == ["failing", "scan", "failing", "scan"]
    assert len(flaky.sent) == 1


def test_a_task_switched_off_is_not_run(db, settings, tasks):
    periodic.register("test.record", tasks.record_task)
    settings.CIVICGRID_PERIODIC_TASKS_OFF = ["test.record"]
    call_command("worker", "--once", stdout=StringIO())
    assert tasks.task_calls == []


@pytest.mark.django_db(transaction=True)
def test_the_loop_stops_cleanly_on_sigterm(flaky, tasks):
    periodic.register("test.record", tasks.record_task)
    n = notify(recipient=None, kind="case_progress", title="进展", body="")
    previous = signal.getsignal(signal.SIGTERM)

    def terminate_when_running() -> None:
        # Tasks run inside the loop, so the worker's handler is installed by then; a second
        # pass means the first one (which delivered the row) is over.
        deadline = time.monotonic() + 30
        while len(tasks.task_calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        if len(tasks.task_calls) >= 2:  # never signal a process without the worker's handler
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_when_running)
    killer.start()
    out = StringIO()
    call_command("worker", "--interval", "0.05", stdout=out)
    killer.join(timeout=5)
    assert "worker stopped" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers restored
    assert len(tasks.task_calls) >= 2
    assert Notification.objects.get(pk=n.pk).processed_at is not None
