"""Reads over the grid."""

from __future__ import annotations

import math

from django.db.models import QuerySet

from civicgrid.core.errors import DomainError
from civicgrid.grids.models import Cell

MAX_BBOX_CELLS = 5000


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in raw.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise DomainError(
            "bbox_invalid",
            "bbox 应为 min_lon,min_lat,max_lon,max_lat 四个数字",
            "bbox must be four numbers: min_lon,min_lat,max_lon,max_lat",
            field="bbox",
        )
    min_lon, min_lat, max_lon, max_lat = parts
    if min_lon > max_lon or min_lat > max_lat:
        raise DomainError(
            "bbox_invalid",
            "bbox 的最小值大于最大值",
            "bbox minimum is greater than its maximum",
            field="bbox",
        )
    return min_lon, min_lat, max_lon, max_lat


def cells_in_bbox(box: tuple[float, float, float, float]) -> QuerySet[Cell]:
    min_lon, min_lat, max_lon, max_lat = box
    return (
        Cell.objects.filter(
            min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat
        )
        .select_related("community", "street")
        .order_by("code")[:MAX_BBOX_CELLS]
    )
