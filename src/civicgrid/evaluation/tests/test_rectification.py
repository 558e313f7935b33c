"""The rectification loop end to end: a failure → the unit's task → evidence → re-inspection (fail, then
pass); the case-loop link (a task opens a case; closing the case closes the task)."""

from __future__ import annotations

import pytest

from civicgrid.cases.choices import CaseStatus, Channel
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case
from civicgrid.cases.tests.helpers import move, run_to
from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.evaluation import services
from civicgrid.evaluation.models import Observation, RectificationTask, Result, TaskEvidence, TaskState
from civicgrid.evaluation.rectification import KIND_TASK, chain_last
from civicgrid.evaluation.tests.helpers import at_site, jpeg
from civicgrid.notifications.models import Notification

pytestmark = pytest.mark.django_db


def fail(ev, site_type="road", standard=None):
    round_site = ev.round_site(site_type)
    observation = services.observation_record(
        round_site=round_site,
        standard=standard or ev.litter,
        result=Result.FAIL,
        inspector=ev.world.inspector,
        note="路边堆放垃圾",
        photos=[jpeg()],
        **at_site(round_site),
    )
    return RectificationTask.objects.get(observation=observation)


def reinspect(ev, task, result):
    return services.task_reinspect(
        task=task,
        inspector=ev.world.inspector,
        result=result,
        photos=[jpeg()],
        **at_site(task.observation.round_site),
    )


def test_the_loop_end_to_end(ev):
    w = ev.world
    task = fail(ev)
    assert task.state == TaskState.OPEN and task.unit == w.departments["ZJJ_SZ"]
    told = Notification.objects.filter(recipient=w.roads_handler, kind=KIND_TASK)
    assert told.count() == 1

    services.task_submit_evidence(task=task, actor=w.roads_handler, files=[jpeg("after.jpg")], note="已清理")
    task.refresh_from_db()
    assert task.state == TaskState.SUBMITTED and task.evidence_note == "已清理"
    assert TaskEvidence.objects.filter(task=task).count() == 1

    again = reinspect(ev, task, Result.FAIL)
    task.refresh_from_db()
    assert task.state == TaskState.REOPENED
    assert again.reinspects == task.observation
    assert told.count() == 2  # sent back to the unit

    services.task_submit_evidence(task=task, actor=w.roads_handler, note="再次清理")
    passed = reinspect(ev, task, Result.PASS)
    task.refresh_from_db()
    assert task.state == TaskState.PASSED and task.closed_at is not None
    assert passed.reinspects == again  # a chain: the score follows its last look
    assert chain_last(task.observation) == passed
    assert Observation.objects.filter(round_site=task.observation.round_site, standard=ev.litter).count() == 3

    with pytest.raises(Conflict):
        services.task_submit_evidence(task=task, actor=w.roads_handler, note="又一次")


def test_only_the_units_staff_submit_evidence(ev):
    task = fail(ev)
    for outsider in (ev.world.parks_handler, ev.world.inspector, ev.world.leader):
        with pytest.raises(PermissionDenied):
            services.task_submit_evidence(task=task, actor=outsider, note="不是我们的")
    with pytest.raises(DomainError) as refused:
        services.task_submit_evidence(task=task, actor=ev.world.roads_handler)
    assert refused.value.code == "evidence_required"
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_a_reinspection_far_from_the_site_is_refused(ev):
    task = fail(ev)
    round_site = task.observation.round_site
    with pytest.raises(DomainError) as refused:
        services.task_reinspect(
            task=task, inspector=ev.world.inspector, result=Result.PASS, **at_site(round_site, 500)
        )
    assert refused.value.code == "too_far_from_site"
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    assert Observation.objects.count() == 1


def test_a_task_opens_a_case_and_closes_with_it(routed_world, ev):
    w = ev.world
    task = fail(ev)
    case = services.task_open_case(task=task, actor=w.inspector)
    assert case.channel == Channel.EVALUATION
    assert case.category == ev.litter.category
    assert case.status == CaseStatus.REPORTED
    assert services.task_open_case(task=task, actor=w.inspector) == case  # once per task
    assert Case.objects.count() == 1
    task.refresh_from_db()
    assert task.case == case

    case = run_to(case, "verified", w, department=w.departments["ZJJ_SZ"])
    task.refresh_from_db()
    assert task.state == TaskState.OPEN  # not before the case is closed
    move(case, "close", w.dispatcher)
    task.refresh_from_db()
    assert task.state == TaskState.CLOSED and task.closed_at is not None


def test_a_standard_without_a_category_opens_no_case(ev):
    task = fail(ev, standard=ev.signs)
    with pytest.raises(DomainError) as refused:
        services.task_open_case(task=task, actor=ev.world.inspector)
    assert refused.value.code == "standard_without_category"
    assert not Case.objects.exists()


def test_only_inspectors_use_the_evaluation_channel(world):
    with pytest.raises(DomainError) as refused:
        case_submit(
            reporter=world.citizen,
            submission=Submission(
                description="假冒测评", lat=39.615, lon=109.765, channel=Channel.EVALUATION
            ),
        )
    assert refused.value.status == 403
    assert not Case.objects.exists()


def test_closing_one_case_leaves_other_tasks_alone(routed_world, ev):
    w = ev.world
    first, second = fail(ev, "road"), fail(ev, "market")
    case = services.task_open_case(task=first, actor=w.inspector)
    run_to(case, "closed", w, department=w.departments["ZJJ_SZ"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == TaskState.CLOSED
    assert second.state == TaskState.OPEN
