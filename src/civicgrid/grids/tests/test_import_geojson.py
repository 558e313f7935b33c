"""Importing a good GeoJSON grid file: rows are created, and a re-import updates them in place."""

from __future__ import annotations

import copy

import pytest
import shapely

from civicgrid.grids import index
from civicgrid.grids.importer import import_geojson
from civicgrid.grids.index import current_revision
from civicgrid.grids.models import Cell, Community, District, Street
from civicgrid.grids.tests.geojson import (
    CELL_MULTI,
    CELL_MULTI_SHAPE,
    CELL_POLYGON,
    CELL_POLYGON_SHAPE,
    COMMUNITY,
    DISTRICT,
    STREET,
    good_collection,
)


def counts() -> tuple[int, int, int, int]:
    return District.objects.count(), Street.objects.count(), Community.objects.count(), Cell.objects.count()


def test_a_good_file_creates_the_hierarchy(db):
    result = import_geojson(good_collection())

    assert result.created == {"district": 1, "street": 1, "community": 1, "cell": 2}
    assert result.updated == {"district": 0, "street": 0, "community": 0, "cell": 0}
    assert counts() == (1, 1, 1, 2)
    street = Street.objects.get(code=STREET)
    community = Community.objects.get(code=COMMUNITY)
    assert street.district.code == DISTRICT
    assert community.street == street

    poly = Cell.objects.get(code=CELL_POLYGON)
    assert poly.name == "东苑一格"
    assert poly.land_use == "居住"
    assert poly.community == community and poly.street == street  # street denormalised from the community
    assert poly.shape.equals(CELL_POLYGON_SHAPE)
    assert (poly.min_lon, poly.min_lat, poly.max_lon, poly.max_lat) == pytest.approx(
        (109.90, 39.80, 109.92, 39.82)
    )
    # 0.02° × 0.02° at 39.8°N is about 1.71 km × 2.21 km
    assert poly.area_m2 == pytest.approx(0.02 * 111_320 * 0.7683 * 0.02 * 110_574, rel=0.01)

    multi = Cell.objects.get(code=CELL_MULTI)
    assert multi.shape.geom_type == "MultiPolygon"
    assert multi.shape.equals(CELL_MULTI_SHAPE)
    assert len(multi.shape.geoms[0].interiors) == 1  # the hole survived


def test_the_imported_cells_are_located(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_geojson(good_collection())
    assert index.locate(39.81, 109.91).code == CELL_POLYGON
    assert index.locate(39.815, 109.93).code == CELL_MULTI
    assert index.locate(39.805, 109.93) is None  # in the MultiPolygon's hole
    assert index.locate(39.810, 109.93) is None  # in the gap between its two parts


def test_a_reimport_updates_and_does_not_duplicate(db):
    import_geojson(good_collection())
    ids = dict(Cell.objects.values_list("code", "id"))
    revision = current_revision()

    changed = copy.deepcopy(good_collection())
    changed["features"][3]["properties"]["name"] = "东苑一格（新）"
    changed["features"][3]["geometry"] = shapely.geometry.mapping(shapely.box(109.90, 39.80, 109.915, 39.82))
    result = import_geojson(changed)

    assert result.created == {"district": 0, "street": 0, "community": 0, "cell": 0}
    assert result.updated == {"district": 1, "street": 1, "community": 1, "cell": 2}
    assert counts() == (1, 1, 1, 2)
    assert dict(Cell.objects.values_list("code", "id")) == ids
    cell = Cell.objects.get(code=CELL_POLYGON)
    assert cell.name == "东苑一格（新）"
    assert cell.max_lon == pytest.approx(109.915)
    assert current_revision() == revision + 1


def test_a_file_of_cells_can_use_parents_already_in_the_database(world):
    from civicgrid.testing import SOUTH

    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"level": "cell", "code": SOUTH + "003", "name": "湖心"},
                "geometry": shapely.geometry.mapping(shapely.box(109.783, 39.603, 109.787, 39.607)),
            },
        ],
    }
    result = import_geojson(data)
    assert result.created["cell"] == 1
    cell = Cell.objects.get(code=SOUTH + "003")
    assert cell.community == world.south and cell.street == world.street


def test_a_gcj02_file_is_stored_in_wgs84(db):
    from civicgrid.grids.coords import from_wgs84

    data = good_collection()

    # Shift only the Polygon cell into GCJ-02; the rest stays valid either way.
    def gcj(geom):
        return shapely.transform(
            geom, lambda xy: [list(from_wgs84(lat, lon, "gcj02"))[::-1] for lon, lat in xy]
        )

    for f in data["features"]:
        f["geometry"] = shapely.geometry.mapping(gcj(shapely.geometry.shape(f["geometry"])))
    import_geojson(data, crs="gcj02")
    stored = Cell.objects.get(code=CELL_POLYGON).shape
    assert stored.equals_exact(CELL_POLYGON_SHAPE, tolerance=1e-6)
