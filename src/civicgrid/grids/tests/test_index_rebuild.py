"""The in-memory index follows the grid: rebuilt after `grid_revision_bump`, never queried per lookup."""

from __future__ import annotations

from shapely.geometry import box, mapping

from civicgrid.grids import index
from civicgrid.grids.importer import import_geojson
from civicgrid.grids.models import Cell, GridRevision
from civicgrid.testing import LAKE, SOUTH

LAKE_POINT = (39.605, 109.785)


def lake_cell_file() -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"level": "cell", "code": SOUTH + "003", "name": "湖心格"},
                "geometry": mapping(LAKE),
            },
        ],
    }


def test_an_imported_cell_is_found_once_the_import_commits(world, django_capture_on_commit_callbacks):
    assert index.locate(*LAKE_POINT) is None  # builds the index
    with django_capture_on_commit_callbacks(execute=True):
        import_geojson(lake_cell_file())
    cell = index.locate(*LAKE_POINT)
    assert cell is not None and cell.code == SOUTH + "003"


def test_another_process_s_change_is_noticed_at_the_next_recheck(world, settings):
    settings.CIVICGRID_GRID_RECHECK_SECONDS = 3600
    assert index.locate(*LAKE_POINT) is None
    # Another process adds a cell and bumps the revision; this process's on_commit hook never runs.
    cell = Cell(code=SOUTH + "003", name="湖心格", community=world.south, street=world.street)
    cell.set_shape(box(109.783, 39.603, 109.787, 39.607))
    cell.save()
    GridRevision.objects.filter(pk=1).update(revision=GridRevision.objects.get(pk=1).revision + 1)
    assert index.locate(*LAKE_POINT) is None  # within the recheck interval the old index is used
    settings.CIVICGRID_GRID_RECHECK_SECONDS = 0
    assert index.locate(*LAKE_POINT).code == SOUTH + "003"


def test_an_unchanged_revision_keeps_the_index(world, settings):
    settings.CIVICGRID_GRID_RECHECK_SECONDS = 0
    first = index.get_index()
    assert index.get_index() is first


def test_a_lookup_costs_no_query_between_rechecks(world, settings, django_assert_num_queries):
    settings.CIVICGRID_GRID_RECHECK_SECONDS = 3600
    index.locate(39.615, 109.765)
    with django_assert_num_queries(0):
        for _ in range(100):
            index.locate(39.615, 109.765)
