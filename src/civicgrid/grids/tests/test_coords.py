"""Coordinate conversions against published reference points, and their round trips."""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.core.errors import DomainError
from civicgrid.grids.coords import check_latlon, distance_m, from_wgs84, to_wgs84

# The commonly published reference values (e.g. the wgs2gcj/eviltransform test vectors) at Tiananmen.
WGS = (39.915, 116.404)
WGS_TO_GCJ = (39.91640428150164, 116.41024449916938)
BD = (39.915, 116.404)
BD_TO_GCJ = (39.90865673957631, 116.39762729119315)
GCJ = (39.915, 116.404)
GCJ_TO_BD = (39.92133699351021, 116.41036949371029)
KANGBASHI = (39.60, 109.78)


def test_wgs84_to_gcj02_matches_the_reference():
    assert from_wgs84(*WGS, "gcj02") == pytest.approx(WGS_TO_GCJ, abs=1e-12)


def test_gcj02_to_wgs84_inverts_the_reference():
    assert to_wgs84(*WGS_TO_GCJ, "gcj02") == pytest.approx(WGS, abs=1e-8)


def test_gcj02_to_bd09_matches_the_reference():
    # civicgrid goes through WGS-84; the iterative inverse keeps that within a millimetre.
    assert from_wgs84(*to_wgs84(*GCJ, "gcj02"), "bd09") == pytest.approx(GCJ_TO_BD, abs=1e-8)


def test_bd09_to_gcj02_matches_the_reference():
    # The published closed-form BD→GCJ formula is itself only accurate to ~1e-6°; civicgrid inverts
    # GCJ→BD exactly instead, so the two agree to about 10 cm.
    assert from_wgs84(*to_wgs84(*BD, "bd09"), "gcj02") == pytest.approx(BD_TO_GCJ, abs=1e-6)


def test_wgs84_passes_through_unchanged():
    assert to_wgs84(39.6, 109.78, "wgs84") == (39.6, 109.78)
    assert from_wgs84(39.6, 109.78, "wgs84") == (39.6, 109.78)


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_round_trip_at_kangbashi(system):
    shifted = from_wgs84(*KANGBASHI, system)
    assert distance_m(*shifted, *KANGBASHI) > 100  # the shift is real …
    assert to_wgs84(*shifted, system) == pytest.approx(KANGBASHI, abs=1e-6)  # … and undone


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(18.0, 53.5), lon=st.floats(73.5, 135.0), system=st.sampled_from(["gcj02", "bd09"]))
def test_round_trip_anywhere_in_china(lat, lon, system):
    back = to_wgs84(*from_wgs84(lat, lon, system), system)
    assert back == pytest.approx((lat, lon), abs=1e-6)


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
@pytest.mark.parametrize("point", [(0.0, 0.0), (48.85, 2.35), (-33.9, 151.2)])
def test_a_point_outside_china_converts_without_a_warning(system, point):
    # The API answered 500 for /api/grids/locate?lat=0&lon=0&crs=bd09: prcoords warned, and the
    # warning escaped as an error. The conversion is the same formula everywhere, and still inverts.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = to_wgs84(*from_wgs84(*point, system), system)
    assert back == pytest.approx(point, abs=1e-6)


def test_distance_of_a_known_pair():
    # One degree of latitude is about 111.2 km on the mean sphere.
    assert distance_m(39.0, 109.78, 40.0, 109.78) == pytest.approx(111_195, rel=1e-3)
    assert distance_m(*KANGBASHI, *KANGBASHI) == 0


@pytest.mark.parametrize(
    ("lat", "lon", "code", "field"),
    [
        ("abc", 109.78, "coordinates_invalid", "lat"),
        (None, 109.78, "coordinates_invalid", "lat"),
        (90.0001, 109.78, "latitude_invalid", "lat"),
        (-91, 109.78, "latitude_invalid", "lat"),
        (math.nan, 109.78, "latitude_invalid", "lat"),
        (39.6, 180.5, "longitude_invalid", "lon"),
        (39.6, -math.inf, "longitude_invalid", "lon"),
    ],
)
def test_invalid_coordinates_are_refused(lat, lon, code, field):
    with pytest.raises(DomainError) as exc:
        check_latlon(lat, lon)
    assert (exc.value.code, exc.value.field) == (code, field)
    with pytest.raises(DomainError):
        to_wgs84(lat, lon, "gcj02")


def test_check_latlon_accepts_numeric_strings_and_the_edges():
    assert check_latlon("39.6", "109.78") == (39.6, 109.78)
    assert check_latlon(-90, 180) == (-90.0, 180.0)


@pytest.mark.parametrize("convert", [to_wgs84, from_wgs84])
def test_an_unknown_coordinate_system_is_refused(convert):
    with pytest.raises(DomainError) as exc:
        convert(39.6, 109.78, "utm")
    assert exc.value.code == "crs_unknown"
    assert exc.value.field == "crs"
    assert "utm" in exc.value.message_en
