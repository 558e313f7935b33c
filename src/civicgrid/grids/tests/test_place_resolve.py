"""`place_resolve`: convert a reported point to WGS-84, refuse it outside the city, find its cell."""

from __future__ import annotations

import pytest

from civicgrid.core.errors import DomainError
from civicgrid.grids.coords import from_wgs84
from civicgrid.grids.services import place_resolve
from civicgrid.testing import NORTH


def test_a_wgs84_point_in_the_city_is_placed_in_its_cell(world):
    place = place_resolve(lat=39.615, lon=109.765)
    assert (place.lat, place.lon) == (39.615, 109.765)
    assert place.cell is not None and place.cell.code == NORTH + "001"


def test_a_point_in_the_lake_is_accepted_without_a_cell(world):
    place = place_resolve(lat=39.605, lon=109.785)
    assert place.cell is None


@pytest.mark.parametrize(("lat", "lon"), [(39.65, 109.775), (39.615, 109.80), (40.0, 116.4)])
def test_a_point_outside_the_city_is_refused(world, lat, lon):
    with pytest.raises(DomainError) as exc:
        place_resolve(lat=lat, lon=lon)
    assert exc.value.code == "outside_city"
    assert exc.value.status == 422
    assert exc.value.field == "lat"
    assert "outside" in exc.value.message_en and "不在本市" in exc.value.message_zh


def test_gcj02_input_is_converted_before_it_is_placed(world):
    wgs = (39.615, 109.775)  # north 002
    gcj = from_wgs84(*wgs, "gcj02")
    # Unconverted, the GCJ-02 point would land half a kilometre east, in north 003.
    assert place_resolve(lat=gcj[0], lon=gcj[1]).cell.code == NORTH + "003"
    place = place_resolve(lat=gcj[0], lon=gcj[1], crs="gcj02")
    assert place.lat == pytest.approx(wgs[0], abs=1e-7)
    assert place.lon == pytest.approx(wgs[1], abs=1e-7)
    assert place.cell.code == NORTH + "002"


def test_bd09_input_is_converted_before_it_is_placed(world):
    wgs = (39.615, 109.775)  # north 002
    bd = from_wgs84(*wgs, "bd09")
    # Unconverted, the BD-09 point would be north of the city.
    with pytest.raises(DomainError):
        place_resolve(lat=bd[0], lon=bd[1])
    place = place_resolve(lat=bd[0], lon=bd[1], crs="bd09")
    assert place.lat == pytest.approx(wgs[0], abs=1e-6)
    assert place.lon == pytest.approx(wgs[1], abs=1e-6)
    assert place.cell.code == NORTH + "002"


@pytest.mark.parametrize(
    ("lat", "lon", "crs", "code"),
    [
        ("abc", 109.77, "wgs84", "coordinates_invalid"),
        (95, 109.77, "wgs84", "latitude_invalid"),
        (39.61, 190, "wgs84", "longitude_invalid"),
        (39.61, 109.77, "utm", "crs_unknown"),
    ],
)
def test_bad_input_is_refused_with_the_reason(world, lat, lon, crs, code):
    with pytest.raises(DomainError) as exc:
        place_resolve(lat=lat, lon=lon, crs=crs)
    assert exc.value.code == code
