"""The rollups kept by the worker == the rollups rebuilt in SQL == direct counts over the events."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command

from civicgrid.analytics import rollups, selectors
from civicgrid.analytics.models import (
    ROLLUPS,
    CaseTally,
    CategoryDay,
    CellCubeDay,
    CellCubeMonth,
    CityDay,
    FlowCounts,
)
from civicgrid.analytics.tests import direct
from civicgrid.cases.models import CaseEvent
from civicgrid.core import periodic

pytestmark = pytest.mark.django_db


def all_tables() -> dict:
    return {model.__name__: direct.dump(model, dims) for model, dims, _grain in rollups.TABLES}


def test_every_rollup_table_is_in_the_registry():
    tables = {model for model, _dims, _grain in rollups.TABLES}
    assert {m for m in apps.get_app_config("analytics").get_models() if issubclass(m, FlowCounts)} == tables
    assert len(tables) == 2 * len(ROLLUPS) == 18
    assert all(rollup.month.__name__ == rollup.day.__name__.replace("Day", "Month") for rollup in ROLLUPS)


@pytest.mark.parametrize(
    ("needed", "table"),
    [
        ((), "CityDay"),
        (("channel",), "ChannelDay"),
        (("street",), "StreetDay"),
        (("cell",), "CellDay"),
        (("cell", "street"), "CellDay"),
        (("street", "department"), "StreetDepartmentDay"),
        (("street", "category"), "CubeDay"),
        (("department", "category"), "CubeDay"),
        (("street", "department", "channel"), "CubeDay"),
        (("cell", "department"), "CellCubeDay"),
        (("cell", "street", "category"), "CellCubeDay"),
    ],
)
def test_the_smallest_rollup_able_to_answer(needed, table):
    assert selectors._rollup(set(needed)).day.__name__ == table


def test_rebuild_sums_each_daily_table_from_the_smallest_finer_one():
    sources = {
        r.day.__name__: source.day.__name__ if (source := rollups._source(r)) else None for r in ROLLUPS
    }
    assert sources == {
        "CityDay": "ChannelDay",
        "ChannelDay": "CubeDay",
        "StreetDay": "StreetDepartmentDay",
        "DepartmentDay": "StreetDepartmentDay",
        "CategoryDay": "CubeDay",
        "CellDay": "CellCubeDay",
        "StreetDepartmentDay": "CubeDay",
        "CubeDay": None,
        "CellCubeDay": None,
    }


def test_incremental_equals_direct_count(history):
    assert not CaseEvent.objects.filter(counted=False).exists()
    for model, dims, grain in rollups.TABLES:
        assert direct.dump(model, dims) == direct.table(dims, grain), model.__name__
    # the cell cube is among them, and holds rows (cells under several departments and categories)
    assert (CellCubeDay, ("cell", "department", "category"), "day") in rollups.TABLES
    assert (CellCubeMonth, ("cell", "department", "category"), "month") in rollups.TABLES
    cube = direct.dump(CellCubeDay, ("cell", "department", "category"))
    assert len({key[1][1] for key in cube}) > 1 and len({key[1][2] for key in cube}) > 1


def test_rebuild_equals_incremental(history):
    incremental = all_tables()
    tallies = list(CaseTally.objects.order_by("case_id").values())
    counts = rollups.rebuild()
    assert counts["CityDay"] == CityDay.objects.count()
    assert all_tables() == incremental
    assert list(CaseTally.objects.order_by("case_id").values()) == tallies
    assert not CaseEvent.objects.filter(counted=False).exists()


def test_rebuild_from_scratch_then_incremental(history, routed_world):
    # Forget everything: rebuild counts all events; new events after it are counted incrementally.
    CaseEvent.objects.update(counted=False)
    rollups.rebuild()
    for model, dims, grain in rollups.TABLES:
        assert direct.dump(model, dims) == direct.table(dims, grain), model.__name__
    from civicgrid.cases.tests.helpers import move

    move(history["j"], "resume", routed_world.dispatcher)
    assert rollups.apply_pending() == 1
    assert rollups.apply_pending() == 0
    for model, dims, grain in rollups.TABLES:
        assert direct.dump(model, dims) == direct.table(dims, grain), model.__name__


def test_reclassified_case_moves_its_counted_report(history, categories):
    road, tree = categories["06013"].pk, categories["04002"].pk
    j = history["j"]
    assert j.category_id == tree
    day = j.created_at.astimezone(j.created_at.tzinfo).date()
    # j's report was counted under 道路 before 立案 reclassified it: now it is under 行道树 only.
    by_category = {r.category_id: r.reported for r in CategoryDay.objects.filter(day__in=[day, "2026-11-24"])}
    assert by_category.get(tree, 0) == 2  # h and j (both reported on 11-24, both registered as 行道树)
    assert by_category.get(road, 0) == 0


def test_events_are_counted_once(history, routed_world):
    before = all_tables()
    assert rollups.apply_pending() == 0
    assert all_tables() == before


def test_worker_task_and_command(history, routed_world):
    from civicgrid.cases.tests.helpers import move

    move(history["d"], "verify", routed_world.dispatcher)
    periodic.run_all()  # the analytics app registers rollups.apply_pending
    assert not CaseEvent.objects.filter(counted=False).exists()
    assert all_tables()["CityDay"] == direct.table((), "day")
    call_command("rollups")
    call_command("rollups", "--rebuild")
    assert all_tables()["CityDay"] == direct.table((), "day")
