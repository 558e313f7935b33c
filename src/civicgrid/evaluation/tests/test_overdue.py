"""Overdue tasks are red-lit and escalated once to the leaders and the unit (the worker's task)."""

from __future__ import annotations

import pytest

from civicgrid.core import periodic
from civicgrid.evaluation import selectors, services
from civicgrid.evaluation.models import RectificationTask, Result
from civicgrid.evaluation.rectification import KIND_OVERDUE
from civicgrid.evaluation.tests.helpers import at_site, local
from civicgrid.notifications.models import Notification

pytestmark = pytest.mark.django_db


def fail(ev, site_type="road"):
    round_site = ev.round_site(site_type)
    observation = services.observation_record(
        round_site=round_site,
        standard=ev.litter,
        result=Result.FAIL,
        inspector=ev.world.inspector,
        **at_site(round_site),
    )
    return RectificationTask.objects.get(observation=observation)


def test_an_overdue_task_is_red_and_escalated_once(ev, monday):
    w = ev.world
    task = fail(ev)  # due Thursday 18:00
    assert selectors.task_light(task) == "green"
    assert services.tasks_overdue_escalate() == 0

    monday.move_to(local(2026, 11, 26, 18, 1))
    task.refresh_from_db()
    assert selectors.task_light(task) == "red"
    assert [t.pk for t in selectors.tasks_overdue()] == [task.pk]
    assert services.tasks_overdue_escalate() == 1
    assert services.tasks_overdue_escalate() == 0  # once
    task.refresh_from_db()
    assert task.escalated_at == local(2026, 11, 26, 18, 1)
    escalations = Notification.objects.filter(kind=KIND_OVERDUE)
    assert set(escalations.values_list("recipient", flat=True)) == {w.leader.pk, w.roads_handler.pk}
    assert escalations.count() == 2


def test_a_task_waiting_for_reinspection_is_not_escalated(ev, monday):
    task = fail(ev)
    services.task_submit_evidence(task=task, actor=ev.world.roads_handler, note="已整改")
    monday.move_to(local(2026, 12, 1, 9, 0))
    task.refresh_from_db()
    assert selectors.task_light(task) == "none"
    assert services.tasks_overdue_escalate() == 0
    assert not Notification.objects.filter(kind=KIND_OVERDUE).exists()


def test_the_worker_runs_the_escalation(ev, monday):
    assert periodic.registered()["evaluation.tasks_overdue_escalate"] is services.tasks_overdue_escalate
    fail(ev)
    monday.move_to(local(2026, 11, 30, 9, 0))
    periodic.run_all()
    assert RectificationTask.objects.filter(escalated_at__isnull=False).count() == 1
