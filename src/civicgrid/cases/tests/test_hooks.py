"""Hooks run inside the move's transaction: a failing hook leaves the move undone."""

import pytest

from civicgrid.cases import hooks
from civicgrid.cases.choices import Action, CaseStatus
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import case_me_too, case_transition


@pytest.fixture
def reported(routed_world, categories):
    case = case_submit(
        reporter=routed_world.citizen,
        submission=Submission(description="井盖缺失", lat=39.615, lon=109.765, category=categories["01003"]),
    ).case
    return case


def test_a_hook_sees_the_case_and_event(routed_world, reported, monkeypatch):
    seen = []
    monkeypatch.setattr(
        hooks, "_hooks", {Action.REGISTER: [lambda case, event: seen.append((case.status, event.action))]}
    )
    case_transition(case=reported, action=Action.REGISTER, actor=routed_world.dispatcher)
    assert seen == [(CaseStatus.REGISTERED, Action.REGISTER)]


def test_a_failing_hook_rolls_the_move_back(routed_world, reported, monkeypatch):
    def boom(case, event):
        raise RuntimeError("points ledger unavailable")

    monkeypatch.setattr(hooks, "_hooks", {Action.REGISTER: [boom]})
    with pytest.raises(RuntimeError):
        case_transition(case=reported, action=Action.REGISTER, actor=routed_world.dispatcher)
    fresh = Case.objects.get(pk=reported.pk)
    assert fresh.status == CaseStatus.REPORTED and fresh.events.count() == 1


def test_hooks_run_for_a_report_its_merge_and_the_me_too(routed_world, categories, monkeypatch):
    seen = []

    def record(case, event):
        seen.append((event.action, case.number, case.status, event.pk is not None))

    monkeypatch.setattr(hooks, "_hooks", {a: [record] for a in (Action.REPORT, Action.MERGE, Action.ME_TOO)})
    submission = Submission(description="井盖缺失", lat=39.615, lon=109.765, category=categories["01003"])
    first = case_submit(reporter=routed_world.citizen, submission=submission).case
    assert seen == [(Action.REPORT, first.number, CaseStatus.REPORTED, True)]
    second = case_submit(reporter=routed_world.grid_member, submission=submission).case
    assert seen[1:] == [
        (Action.ME_TOO, first.number, CaseStatus.REPORTED, True),
        (Action.REPORT, second.number, CaseStatus.MERGED, True),
        (Action.MERGE, second.number, CaseStatus.MERGED, True),
    ]
    case_me_too(case=first, user=routed_world.dispatcher)  # the "me too" button
    assert seen[4:] == [(Action.ME_TOO, first.number, CaseStatus.REPORTED, True)]


@pytest.mark.parametrize("failing", [Action.REPORT, Action.MERGE, Action.ME_TOO])
def test_a_failing_hook_undoes_the_whole_report(routed_world, categories, monkeypatch, failing):
    submission = Submission(description="井盖缺失", lat=39.615, lon=109.765, category=categories["01003"])
    first = case_submit(reporter=routed_world.citizen, submission=submission).case

    def boom(case, event):
        raise RuntimeError("a listener failed")

    monkeypatch.setattr(hooks, "_hooks", {failing: [boom]})
    with pytest.raises(RuntimeError):
        case_submit(reporter=routed_world.grid_member, submission=submission)
    assert list(Case.objects.values_list("number", flat=True)) == [first.number]
    first.refresh_from_db()
    assert first.me_too_count == 0 and first.events.count() == 1 and not first.followers.exists()
