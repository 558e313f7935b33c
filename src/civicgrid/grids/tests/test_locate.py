"""`index.locate()`: which unit grid cell a WGS-84 point falls in (see the map in civicgrid/testing.py)."""

from __future__ import annotations

import pytest

from civicgrid.grids import index
from civicgrid.grids.index import CellIndex
from civicgrid.grids.models import Cell, District
from civicgrid.testing import NORTH, SOUTH


def code_at(lat: float, lon: float) -> str | None:
    cell = index.locate(lat, lon)
    return cell.code if cell is not None else None


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (39.615, 109.765, NORTH + "001"),
        (39.615, 109.775, NORTH + "002"),
        (39.615, 109.785, NORTH + "003"),
        (39.605, 109.765, SOUTH + "001"),
        (39.605, 109.775, SOUTH + "002"),  # the wide lake cell, west of the lake
        (39.602, 109.785, SOUTH + "002"),  # south of the lake, still in the cell
    ],
)
def test_a_point_inside_a_cell_is_in_that_cell(world, lat, lon, expected):
    assert code_at(lat, lon) == expected


@pytest.mark.parametrize(
    ("lat", "lon", "expected", "why"),
    [
        (39.615, 109.77, NORTH + "001", "edge between north 001 and 002"),
        (39.615, 109.78, NORTH + "002", "edge between north 002 and 003"),
        (39.605, 109.77, SOUTH + "001", "edge between south 001 and the lake cell"),
        (39.61, 109.765, NORTH + "001", "edge between the two communities"),
        (39.61, 109.785, NORTH + "003", "edge between north 003 and the lake cell"),
        (39.61, 109.77, NORTH + "001", "corner shared by four cells"),
    ],
)
def test_a_point_on_a_shared_edge_goes_to_the_lowest_code(world, lat, lon, expected, why):
    assert code_at(lat, lon) == expected, why


def test_the_lowest_code_wins_whatever_order_the_cells_come_in(world):
    cells = list(Cell.objects.all())
    districts = list(District.objects.all())
    forwards = CellIndex.build(cells, districts, revision=1)
    backwards = CellIndex.build(list(reversed(cells)), districts, revision=1)
    for lat, lon in [(39.615, 109.77), (39.61, 109.77), (39.61, 109.785), (39.605, 109.77)]:
        a, b = forwards.locate(lat, lon), backwards.locate(lat, lon)
        assert a is not None and b is not None
        assert a.code == b.code
        # and the same answer every time
        assert {forwards.locate(lat, lon).code for _ in range(5)} == {a.code}


def test_the_lake_is_in_the_city_but_in_no_cell(world):
    idx = index.get_index()
    assert idx.in_city(39.605, 109.785)
    assert code_at(39.605, 109.785) is None


def test_the_lake_shore_belongs_to_the_lake_cell(world):
    assert code_at(39.603, 109.785) == SOUTH + "002"


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(39.65, 109.775), (39.59, 109.775), (39.615, 109.70), (39.615, 109.80), (0.0, 0.0)],
)
def test_a_point_outside_the_city_is_in_no_cell(world, lat, lon):
    assert code_at(lat, lon) is None
    assert not index.get_index().in_city(lat, lon)


def test_locate_many_agrees_with_locate(world):
    import numpy as np

    lats = np.array([39.615, 39.615, 39.605, 39.61, 39.65])
    lons = np.array([109.765, 109.77, 109.785, 109.77, 109.775])
    many = index.get_index().locate_many(lats, lons)
    one = [index.locate(lat, lon) for lat, lon in zip(lats, lons, strict=True)]
    assert [c.code if c else None for c in many] == [c.code if c else None for c in one]
    assert [c.code if c else None for c in many] == [NORTH + "001", NORTH + "001", None, NORTH + "001", None]


def test_an_empty_grid_locates_nothing(db):
    assert index.locate(39.615, 109.765) is None
    assert not index.get_index().in_city(39.615, 109.765)
