"""Coordinates on the way in: WGS-84, GCJ-02 (国测局, most Chinese phone maps) or BD-09 (百度).

Everything is stored in WGS-84. The conversions are the published GCJ-02/BD-09 formulas as
implemented by the public-domain `prcoords` library; the GCJ-02 → WGS-84 direction uses its
iterative ("bored") inverse, accurate to about 0.1 mm.
"""

from __future__ import annotations

import functools
import math

import prcoords
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.errors import DomainError

# prcoords' iterative inverses ignore their `check_china=False` for the first guess, which warns
# "Non-Chinese coords found" for a point outside China (and a warning is an error in the tests);
# the same inverses, built by the library's own factory from the non-checking rough inverse.
_gcj_wgs_bored = prcoords._bored(prcoords.wgs_gcj, functools.partial(prcoords.gcj_wgs, check_china=False))
_bd_wgs_bored = prcoords._bored(prcoords.wgs_bd, functools.partial(prcoords.bd_wgs, check_china=False))


class CoordSystem(models.TextChoices):
    WGS84 = "wgs84", _("WGS-84 (GPS)")
    GCJ02 = "gcj02", _("GCJ-02 (国测局/高德/腾讯)")
    BD09 = "bd09", _("BD-09 (百度)")


def check_latlon(lat: object, lon: object) -> tuple[float, float]:
    """Both numbers, finite and on the globe — or a DomainError naming the bad one."""
    try:
        lat_f, lon_f = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise DomainError(
            "coordinates_invalid", "经纬度必须是数字", "latitude and longitude must be numbers", field="lat"
        ) from exc
    if not math.isfinite(lat_f) or not -90 <= lat_f <= 90:
        raise DomainError(
            "latitude_invalid",
            f"纬度超出范围 (-90…90)：{lat}",
            f"latitude out of range (-90…90): {lat}",
            field="lat",
        )
    if not math.isfinite(lon_f) or not -180 <= lon_f <= 180:
        raise DomainError(
            "longitude_invalid",
            f"经度超出范围 (-180…180)：{lon}",
            f"longitude out of range (-180…180): {lon}",
            field="lon",
        )
    return lat_f, lon_f


def to_wgs84(lat: float, lon: float, system: str = CoordSystem.WGS84) -> tuple[float, float]:
    """Convert a (lat, lon) in `system` to WGS-84."""
    lat, lon = check_latlon(lat, lon)
    if system == CoordSystem.WGS84:
        return lat, lon
    if system == CoordSystem.GCJ02:
        out = _gcj_wgs_bored((lat, lon))
    elif system == CoordSystem.BD09:
        out = _bd_wgs_bored((lat, lon))
    else:
        raise DomainError(
            "crs_unknown",
            f"不支持的坐标系 {system!r}（可用 wgs84、gcj02、bd09）",
            f"unsupported coordinate system {system!r} (use wgs84, gcj02 or bd09)",
            field="crs",
        )
    return out.lat, out.lon


def from_wgs84(lat: float, lon: float, system: str) -> tuple[float, float]:
    """Convert WGS-84 to `system` (for maps that draw in GCJ-02/BD-09, and for tests)."""
    if system == CoordSystem.WGS84:
        return lat, lon
    if system == CoordSystem.GCJ02:
        out = prcoords.wgs_gcj((lat, lon), False)
    elif system == CoordSystem.BD09:
        out = prcoords.wgs_bd((lat, lon), False)
    else:
        raise DomainError(
            "crs_unknown",
            f"不支持的坐标系 {system!r}",
            f"unsupported coordinate system {system!r}",
            field="crs",
        )
    return out.lat, out.lon


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))
