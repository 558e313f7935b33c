"""Points for registered reports, through the cases hook (Action.REGISTER)."""

from __future__ import annotations

import pytest

from civicgrid.cases.choices import Action, CaseStatus, Channel
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, east_of
from civicgrid.cases.workflow import case_transition
from civicgrid.points.choices import Reason
from civicgrid.points.models import PointsAccount, PointsEntry
from civicgrid.points.services import on_case_registered

pytestmark = pytest.mark.django_db


def submit(reporter, categories, point=NORTH_2, channel=Channel.APP, code="06010", **extra):
    case = case_submit(
        reporter=reporter,
        submission=Submission(
            description="垃圾堆在路边",
            lat=point[0],
            lon=point[1],
            category=categories[code],
            channel=channel,
            **extra,
        ),
    ).case
    return case


def test_a_registered_report_earns_once_even_if_the_hook_runs_again(routed_world, categories):
    w = routed_world
    case = submit(w.citizen, categories)
    event = case_transition(case=case, action=Action.REGISTER, actor=w.dispatcher)
    entries = PointsEntry.objects.filter(person=w.citizen, reason=Reason.REPORT)
    assert [(e.delta, e.source_key) for e in entries] == [(5, f"case:{case.pk}:registered")]
    case.refresh_from_db()
    assert on_case_registered(case, event) is None  # a retry of the hook
    assert entries.count() == 1
    assert PointsAccount.objects.get(person=w.citizen).community == w.north  # placed in the ranking


def test_duplicates_and_rejected_reports_earn_nothing(routed_world, categories):
    w = routed_world
    original = submit(w.citizen, categories)
    duplicate = submit(w.leader, categories, point=east_of(NORTH_2, 10))
    assert duplicate.status == CaseStatus.MERGED
    rejected = submit(w.inspector, categories, code="09006", point=east_of(NORTH_2, 500))
    case_transition(case=rejected, action=Action.REJECT, actor=w.dispatcher, note="不属于受理范围")
    case_transition(case=original, action=Action.REGISTER, actor=w.dispatcher)
    assert list(PointsEntry.objects.values_list("person__phone", flat=True)) == [w.citizen.phone]


def test_grid_patrol_reports_and_hotline_entries_earn_nothing(routed_world, categories):
    w = routed_world
    patrol = submit(w.grid_member, categories, point=NORTH_1, channel=Channel.GRID)
    assert patrol.status != CaseStatus.REPORTED  # auto-registered (trusted)
    hotline = submit(w.dispatcher, categories, code="06013", channel=Channel.HOTLINE, contact_name="市民某")
    case_transition(case=hotline, action=Action.REGISTER, actor=w.dispatcher)
    assert not PointsEntry.objects.exists()


def test_a_grid_member_reporting_off_duty_through_the_app_earns_like_a_citizen(routed_world, categories):
    w = routed_world
    case = submit(w.grid_member, categories, point=NORTH_2, channel=Channel.APP)
    if case.status == CaseStatus.REPORTED:
        case_transition(case=case, action=Action.REGISTER, actor=w.dispatcher)
    assert PointsEntry.objects.filter(person=w.grid_member).count() == 1
