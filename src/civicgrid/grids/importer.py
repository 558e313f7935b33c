"""Import the grid hierarchy from GeoJSON (a FeatureCollection, Polygon or MultiPolygon with holes).

Each feature has `properties.level` (district | street | community | cell), `properties.code`
and `properties.name`; the parent is the code's prefix (see `codes.py`), found in the file or
already in the database. The whole file is checked first: any bad feature — invalid or
self-intersecting polygon, coordinates off the globe, wrong code, missing parent — refuses the
import with a list of every problem, and nothing is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import transaction
from shapely.geometry import shape
from shapely.validation import explain_validity

from civicgrid.core.errors import DomainError
from civicgrid.grids.codes import check_code, parent_code
from civicgrid.grids.coords import CoordSystem, to_wgs84
from civicgrid.grids.models import Cell, Community, District, Street
from civicgrid.grids.services import grid_revision_bump

LEVEL_ORDER = ["district", "street", "community", "cell"]
MODELS = {"district": District, "street": Street, "community": Community, "cell": Cell}


@dataclass
class Problem:
    feature: int
    code: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"feature #{self.feature} ({self.code or '?'}): {self.message_en} / {self.message_zh}"


class GridImportError(DomainError):
    """The file was refused; `problems` lists every bad feature."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        head = problems[0]
        more = f" (+{len(problems) - 1})" if len(problems) > 1 else ""
        super().__init__(
            "grid_import_invalid",
            f"网格数据有误，未导入任何内容：{head.message_zh}（要素 #{head.feature} {head.code}）{more}",
            f"grid file refused, nothing imported: {head.message_en} (feature #{head.feature} {head.code}){more}",
            field="features",
        )


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVEL_ORDER, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVEL_ORDER, 0))


def _convert(geom: shapely.Geometry, crs: str) -> shapely.Geometry:
    if crs == CoordSystem.WGS84:
        return geom

    def convert_xy(xy: np.ndarray) -> np.ndarray:
        return np.array([to_wgs84(lat, lon, crs)[::-1] for lon, lat in xy.tolist()])

    return shapely.transform(geom, convert_xy)


def _parse_feature(i: int, feature: object, crs: str) -> tuple[str, str, str, shapely.Geometry | None, dict]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise DomainError("not_a_feature", "不是 GeoJSON Feature", "not a GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise DomainError("properties_invalid", "properties 必须是对象", "properties must be an object")
    level = str(props.get("level", "cell")).lower()
    code = str(props.get("code", "")).strip()
    name = str(props.get("name", "")).strip() or code
    check_code(level, code)
    geometry = feature.get("geometry")
    if geometry is None:
        if level == "cell":
            raise DomainError(
                "geometry_missing", "单元网格必须有边界多边形", "a unit grid cell needs a polygon"
            )
        return level, code, name, None, props
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        got = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise DomainError(
            "geometry_type",
            f"只接受 Polygon 或 MultiPolygon，收到 {got}",
            f"only Polygon or MultiPolygon are accepted, got {got}",
        )
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed rings
        raise DomainError(
            "geometry_malformed", f"几何数据格式错误：{exc}", f"malformed geometry: {exc}"
        ) from exc
    if geom.is_empty:
        raise DomainError("geometry_empty", "多边形为空", "the polygon is empty")
    minx, miny, maxx, maxy = geom.bounds
    if not all(math.isfinite(v) for v in geom.bounds) or not (
        -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    ):
        raise DomainError(
            "geometry_out_of_range",
            "坐标超出经纬度范围（应为 [经度, 纬度]）",
            "coordinates are off the globe (expected [lon, lat])",
        )
    if not geom.is_valid:
        reason = explain_validity(geom)
        raise DomainError(
            "geometry_invalid",
            f"多边形无效（如自相交）：{reason}",
            f"invalid polygon (e.g. self-intersecting): {reason}",
        )
    return level, code, name, _convert(geom, crs), props


def import_geojson(data: object, *, crs: str = CoordSystem.WGS84) -> ImportResult:
    """Validate the whole FeatureCollection, then write it in one transaction (all or nothing)."""
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise GridImportError(
            [Problem(0, "", "文件不是 GeoJSON FeatureCollection", "not a GeoJSON FeatureCollection")]
        )
    problems: list[Problem] = []
    parsed: list[tuple[int, str, str, str, shapely.Geometry | None, dict]] = []
    seen: dict[str, int] = {}
    for i, feature in enumerate(data["features"]):
        props = feature.get("properties") if isinstance(feature, dict) else None
        code = str(props.get("code", "")) if isinstance(props, dict) else ""
        try:
            level, code, name, geom, props = _parse_feature(i, feature, crs)
        except DomainError as err:
            problems.append(Problem(i, code, err.message_zh, err.message_en))
            continue
        if code in seen:
            problems.append(
                Problem(
                    i,
                    code,
                    f"编码重复（与要素 #{seen[code]} 相同）",
                    f"duplicate code (same as feature #{seen[code]})",
                )
            )
            continue
        seen[code] = i
        parsed.append((i, level, code, name, geom, props))

    codes_in_file = {(lvl, code) for _, lvl, code, *_ in parsed}
    for i, level, code, *_ in parsed:
        parent = parent_code(level, code)
        if parent is None:
            continue
        parent_level = LEVEL_ORDER[LEVEL_ORDER.index(level) - 1]
        if (parent_level, parent) not in codes_in_file and not MODELS[parent_level].objects.filter(
            code=parent
        ).exists():
            problems.append(
                Problem(
                    i,
                    code,
                    f"上级{parent_level}编码 {parent} 不存在",
                    f"parent {parent_level} {parent} does not exist",
                )
            )
    if problems:
        raise GridImportError(problems)

    result = ImportResult()
    with transaction.atomic():
        parsed.sort(key=lambda row: (LEVEL_ORDER.index(row[1]), row[2]))
        for _, level, code, name, geom, props in parsed:
            _upsert(level, code, name, geom, props, result)
        grid_revision_bump()
    return result


def _upsert(
    level: str, code: str, name: str, geom: shapely.Geometry | None, props: dict, result: ImportResult
) -> None:
    model = MODELS[level]
    obj = model.objects.filter(code=code).first()
    created = obj is None
    if created:
        obj = model(code=code)
    obj.name = name
    if geom is not None:
        obj.set_shape(geom)
    parent = parent_code(level, code)
    if level == "street":
        obj.district = District.objects.get(code=parent)
    elif level == "community":
        obj.street = Street.objects.get(code=parent)
    elif level == "cell":
        obj.community = Community.objects.select_related("street").get(code=parent)
        obj.street = obj.community.street
        obj.land_use = str(props.get("land_use", ""))[:40]
        obj.area_m2 = _area_m2(geom)
    obj.save()
    (result.created if created else result.updated)[level] += 1


def _area_m2(geom: shapely.Geometry) -> float:
    """Approximate area in m² (equirectangular at the polygon's latitude; fine for 1–100 km² cells)."""
    lat0 = math.radians(geom.centroid.y)
    scaled = shapely.transform(geom, lambda xy: xy * [111_320.0 * math.cos(lat0), 110_574.0])
    return float(scaled.area)
