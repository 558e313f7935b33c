"""GET /api/grids/locate: the unit grid cell of a point, or a 422 JSON error."""

from __future__ import annotations

import pytest

from civicgrid.grids.coords import from_wgs84
from civicgrid.testing import NORTH, SOUTH

URL = "/api/grids/locate"
ERROR_KEYS = {"error", "field", "message", "message_zh", "message_en"}


def test_a_point_in_a_cell(client, world):
    response = client.get(URL, {"lat": 39.615, "lon": 109.765})
    assert response.status_code == 200
    assert response.json() == {
        "lat": 39.615,
        "lon": 109.765,
        "cell": {"code": NORTH + "001", "name": "北苑一格", "community": "北苑社区", "street": "青春山街道"},
    }


def test_a_gcj02_point_is_converted(client, world):
    lat, lon = from_wgs84(39.605, 109.775, "gcj02")
    body = client.get(URL, {"lat": lat, "lon": lon, "crs": "gcj02"}).json()
    assert body["cell"]["code"] == SOUTH + "002"
    assert body["lat"] == pytest.approx(39.605, abs=1e-7)
    assert body["lon"] == pytest.approx(109.775, abs=1e-7)


def test_a_point_in_the_lake_has_no_cell(client, world):
    response = client.get(URL, {"lat": 39.605, "lon": 109.785})
    assert response.status_code == 200
    assert response.json()["cell"] is None


def test_a_point_outside_the_city_is_422(client, world):
    response = client.get(URL, {"lat": 39.70, "lon": 109.775})
    assert response.status_code == 422
    body = response.json()
    assert ERROR_KEYS <= set(body)
    assert body["error"] == "outside_city"
    assert body["field"] == "lat"
    assert "不在本市" in body["message_zh"]
    assert "outside" in body["message_en"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "abc", "lon": 109.77}, "lat"),
        ({"lat": 39.61}, "lon"),
        ({"lat": 39.61, "lon": 109.77, "crs": "utm"}, "crs"),
    ],
)
def test_malformed_input_is_422_naming_the_field(client, world, params, field):
    response = client.get(URL, params)
    assert response.status_code == 422
    body = response.json()
    assert ERROR_KEYS <= set(body)
    assert body["error"] == "invalid_input"
    assert body["field"] == field
    assert field in body["message_en"] and body["message_zh"]


def test_a_latitude_off_the_globe_is_422(client, world):
    body = client.get(URL, {"lat": 91, "lon": 109.77}).json()
    assert body["error"] == "latitude_invalid"
    assert body["field"] == "lat"
