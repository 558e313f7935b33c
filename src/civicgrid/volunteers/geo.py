"""Where a check-in may happen: inside the activity's area (a GeoJSON polygon, WGS-84) with a
tolerance of AREA_TOLERANCE_M for the phone's error, or within `fence_m` of its point without one.

Distances are computed on a local flat projection around the activity (metres east and north of
its point), which over the few kilometres an activity spans is accurate to well under a metre.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import Point, shape

from civicgrid.core.errors import DomainError
from civicgrid.grids.coords import distance_m

AREA_TOLERANCE_M = 30
EARTH_RADIUS_M = 6_371_008.8


def _invalid(why_zh: str, why_en: str) -> DomainError:
    return DomainError(
        "area_invalid", f"活动范围无效：{why_zh}", f"invalid activity area: {why_en}", field="area"
    )


def area_shape(area):
    """The shapely polygon of a GeoJSON Polygon/MultiPolygon (or a Feature of one); else 422 area_invalid."""
    if not isinstance(area, dict):
        raise _invalid("应为 GeoJSON 多边形", "expected a GeoJSON polygon")
    geometry = area.get("geometry") if area.get("type") == "Feature" else area
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise _invalid("应为 GeoJSON 多边形", "expected a GeoJSON Polygon or MultiPolygon")
    try:
        polygon = shape(geometry)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise _invalid("坐标格式错误", "malformed coordinates") from exc
    if polygon.is_empty or not polygon.is_valid or polygon.area == 0:
        raise _invalid("多边形为空或自相交", "the polygon is empty or self-intersecting")
    minx, miny, maxx, maxy = polygon.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise _invalid("坐标超出经纬度范围", "coordinates out of range (lon, lat)")
    return polygon


def _local(origin_lat: float, origin_lon: float):
    """lon/lat → metres east/north of the origin (on arrays of coordinates)."""
    k = math.pi * EARTH_RADIUS_M / 180
    cos_lat = math.cos(math.radians(origin_lat))

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(((coords[:, 0] - origin_lon) * k * cos_lat, (coords[:, 1] - origin_lat) * k))

    return project


def fence_distance(
    *, lat: float, lon: float, centre_lat: float, centre_lon: float, area, fence_m: int
) -> float:
    """How far (metres) the point lies outside where check-ins are accepted; 0 or less is inside."""
    if area:
        project = _local(centre_lat, centre_lon)
        polygon = shapely.transform(area_shape(area), project)
        point = shapely.transform(Point(lon, lat), project)
        return polygon.distance(point) - AREA_TOLERANCE_M
    return distance_m(lat, lon, centre_lat, centre_lon) - fence_m
