"""The ledger: awards by rule version, idempotency, monthly caps, reversals, append-only rows."""

from __future__ import annotations

import pytest
import time_machine
from django.db import IntegrityError, connection, models, transaction

from civicgrid.cases.tests.helpers import local
from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.points.choices import Reason
from civicgrid.points.models import PointsEntry, PointsRule
from civicgrid.points.selectors import balance_of
from civicgrid.points.services import (
    entry_reverse,
    points_award,
    points_rule_save,
    rule_current,
    volunteer_hours_award,
)
from civicgrid.points.tests.helpers import assert_cache_is_sum
from civicgrid.testing import assert_append_only

pytestmark = pytest.mark.django_db


def test_award_applies_the_current_rule_and_is_idempotent(world):
    entry = points_award(person=world.citizen, reason=Reason.REPORT, source_key="case:1:registered")
    assert entry.delta == 5 and entry.rule.version == 1 and "v1" in entry.explanation
    assert points_award(person=world.citizen, reason=Reason.REPORT, source_key="case:1:registered") is None
    assert PointsEntry.objects.count() == 1
    assert balance_of(world.citizen) == 5
    assert_cache_is_sum(world.citizen)


def test_a_new_rule_version_changes_new_awards_and_keeps_old_explanations(world):
    first = points_award(person=world.citizen, reason=Reason.VOLUNTEER, source_key="v:1", quantity=2)
    assert first.delta == 20
    points_rule_save(
        reason=Reason.VOLUNTEER,
        points=15,
        monthly_cap=300,
        description="每小时 15 分",
        unit="小时",
        actor=world.admin,
    )
    second = points_award(person=world.citizen, reason=Reason.VOLUNTEER, source_key="v:2", quantity=2)
    assert second.delta == 30 and second.rule.version == 2
    first.refresh_from_db()
    assert first.rule.version == 1 and first.rule.points == 10 and "每小时 10 分" in first.explanation
    assert "v1" in first.explanation and "v2" in second.explanation


def test_only_administrators_edit_rules(world):
    with pytest.raises(PermissionDenied):
        points_rule_save(
            reason=Reason.REPORT, points=50, monthly_cap=0, description="x", actor=world.inspector
        )


def test_monthly_cap_awards_only_what_fits(world):
    points_rule_save(
        reason=Reason.REPORT, points=40, monthly_cap=100, description="40/件, 100/月", actor=world.admin
    )
    with time_machine.travel(local(2026, 3, 10, 9)):
        deltas = [
            points_award(person=world.citizen, reason=Reason.REPORT, source_key=f"c:{i}") for i in range(4)
        ]
    assert [e.delta if e else None for e in deltas] == [40, 40, 20, None]
    assert "上限" in deltas[2].explanation
    with time_machine.travel(local(2026, 4, 1, 0, 5)):  # a new (local) month
        assert points_award(person=world.citizen, reason=Reason.REPORT, source_key="c:9").delta == 40
    assert balance_of(world.citizen) == 140
    assert_cache_is_sum(world.citizen)


def test_volunteer_hours_earn_per_whole_hour(world):
    assert (
        volunteer_hours_award(person=world.citizen, hours=2.5, source_key="activity:7:13900000001").delta
        == 20
    )
    assert volunteer_hours_award(person=world.citizen, hours=0.5, source_key="activity:8:13900000001") is None
    assert volunteer_hours_award(person=world.citizen, hours=3, source_key="activity:7:13900000001") is None


def test_reversal_is_an_entry_and_only_once(world):
    entry = points_award(person=world.citizen, reason=Reason.HONOUR, source_key="honour:x")
    reversal = entry_reverse(entry=entry, actor=world.admin, note="误发")
    assert reversal.delta == -200 and reversal.reverses == entry and reversal.reason == Reason.HONOUR
    assert balance_of(world.citizen) == 0
    with pytest.raises(Conflict):
        entry_reverse(entry=entry, actor=world.admin)
    with pytest.raises(Conflict):
        entry_reverse(entry=reversal, actor=world.admin)
    assert PointsEntry.objects.count() == 2
    assert_cache_is_sum(world.citizen)


def test_entries_and_rules_are_append_only(world):
    entry = points_award(person=world.citizen, reason=Reason.REPORT, source_key="c:1")
    entry.delta = 500
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    rule = rule_current(Reason.REPORT)
    rule.points = 99
    with pytest.raises(ValueError):
        rule.save()
    assert PointsRule.objects.get(pk=rule.pk).points == 5


def test_the_database_refuses_to_change_or_delete_entries_and_rules(world):
    """Below the models' guard: QuerySet.update/delete and raw SQL (core/immutable.py), every column."""
    entry = points_award(
        person=world.citizen,
        reason=Reason.REPORT,
        source_key="c:1",
        actor=world.admin,
        note="上报奖励",
        source_type="case",
        source_id="1",
    )
    reversal = entry_reverse(entry=entry, actor=world.admin, note="误发")
    rule = points_rule_save(
        reason=Reason.REPORT, points=6, monthly_cap=100, description="每次 6 分", actor=world.admin
    )
    assert_append_only(reversal)  # every column set: it reverses an entry and cites a rule
    assert_append_only(rule)
    for change in ({"delta": 500}, {"note": "改写"}, {"person": world.admin}):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            PointsEntry.objects.filter(pk=entry.pk).update(**change)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PointsEntry.objects.filter(
            reverses__isnull=False
        ).delete()  # bulk (the original: protected by its reversal)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        models.Model.delete(reversal)  # past AppendOnly.delete
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PointsRule.objects.filter(pk=rule.pk).update(active=False)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute(f"DELETE FROM {PointsRule._meta.db_table} WHERE id = %s", [rule.pk])
    assert PointsEntry.objects.count() == 2 and PointsEntry.objects.get(pk=entry.pk).note == "上报奖励"
    assert balance_of(world.citizen) == 0
    assert_cache_is_sum(world.citizen)


def test_bad_awards_are_refused(world):
    with pytest.raises(DomainError):
        points_award(person=world.citizen, reason=Reason.UNCIVIL, source_key="x")
    with pytest.raises(DomainError):
        points_award(person=world.citizen, reason=Reason.REPORT, source_key="x", quantity=0)
    with pytest.raises(DomainError):
        points_award(person=world.citizen, reason="bogus", source_key="x")
    assert PointsEntry.objects.count() == 0
