"""run_once(): one batch of the outbox and nothing else; stopping mid-batch."""

from __future__ import annotations

import pytest

from civicgrid.core import periodic
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import notify, run_once
from civicgrid.notifications.tests.fakes import FlakySender

pytestmark = pytest.mark.django_db


def test_run_once_delivers_and_runs_no_periodic_task(flaky, tasks):
    periodic.register("test.record", tasks.record_task)
    n = notify(recipient=None, kind="case_progress", title="进展", body="")
    assert run_once(now=n.next_attempt_at) == 1
    assert flaky.sent == [n.pk]
    assert tasks.task_calls == []  # the worker command runs the tasks, not the outbox


def test_stopping_mid_batch_gives_the_rest_back(flaky):
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
