"""Hooks run inside the move's transaction: a failing hook leaves the move undone."""

import pytest

from civicgrid.cases import hooks
from civicgrid.cases.choices import Action, CaseStatus
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import case_transition


@pytest.fixture
def reported(routed_world, categories):
    case, _ = case_submit(reporter=routed_world.citizen, submission=Submission(
        description="井盖缺失", lat=39.615, lon=109.765, category=categories["01003"]))
    return case


def test_a_hook_sees_the_case_and_event(routed_world, reported, monkeypatch):
    seen = []
    monkeypatch.setattr(hooks, "_hooks", {Action.REGISTER: [lambda case, event: seen.append((case.status, event.action))]})
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
