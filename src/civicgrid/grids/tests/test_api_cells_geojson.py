"""GET /api/grids/cells.geojson?bbox=…: the cells whose extent meets the box, as a FeatureCollection."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from civicgrid.testing import LAKE, NORTH, SOUTH

URL = "/api/grids/cells.geojson"


def codes(response) -> list[str]:
    return [f["properties"]["code"] for f in response.json()["features"]]


def test_a_box_inside_one_cell_returns_that_cell(client, world):
    response = client.get(URL, {"bbox": "109.761,39.611,109.769,39.619"})
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert codes(response) == [NORTH + "001"]
    feature = body["features"][0]
    assert feature["id"] == NORTH + "001"
    assert feature["properties"] == {
        "code": NORTH + "001",
        "name": "北苑一格",
        "street": "青春山街道",
        "community": "北苑社区",
    }
    assert shape(feature["geometry"]).equals(world.cells[NORTH + "001"].shape)


def test_the_cells_are_filtered_by_the_box(client, world):
    assert codes(client.get(URL, {"bbox": "109.775,39.605,109.785,39.615"})) == [
        NORTH + "002",
        NORTH + "003",
        SOUTH + "002",
    ]
    assert len(codes(client.get(URL, {"bbox": "109.7,39.5,109.9,39.7"}))) == 5
    assert codes(client.get(URL, {"bbox": "110.0,40.0,110.1,40.1"})) == []


def test_the_lake_cell_keeps_its_hole(client, world):
    response = client.get(URL, {"bbox": "109.784,39.604,109.786,39.606"})
    assert codes(response) == [SOUTH + "002"]
    geom = shape(response.json()["features"][0]["geometry"])
    assert len(geom.interiors) == 1
    assert not geom.contains(LAKE.centroid)


@pytest.mark.parametrize(
    "bbox", ["1,2,3", "a,b,c,d", "109.8,39.6,109.7,39.7", "109.7,39.7,109.8,39.6", "nan,39.6,109.8,39.7", ""]
)
def test_a_bad_bbox_is_422(client, world, bbox):
    response = client.get(URL, {"bbox": bbox})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "bbox_invalid"
    assert body["field"] == "bbox"
    assert body["message_zh"] and body["message_en"]


def test_a_missing_bbox_is_422(client, world):
    response = client.get(URL)
    assert response.status_code == 422
    assert response.json()["field"] == "bbox"
