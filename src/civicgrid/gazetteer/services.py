"""Writes of the gazetteer: save one place, import many from CSV or GeoJSON.

An import checks every row first; the first bad row refuses the whole file with its line number
(CSV) or feature number (GeoJSON), and nothing is written. Rows are keyed by (kind, name): importing
a file again updates the places it names.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass

import shapely
from django.db import transaction
from django.db.models import F

from civicgrid.core.errors import DomainError
from civicgrid.core.text import csv_decode, text_check
from civicgrid.gazetteer import index
from civicgrid.gazetteer.models import GazetteerRevision, Place, PlaceKind

# The kinds as a file may spell them: the stored value, its Chinese label, common synonyms.
KIND_NAMES = {
    **{k.value: k.value for k in PlaceKind},
    **{str(k.label): k.value for k in PlaceKind},
    "道路": "road",
    "路": "road",
    "街巷": "road",
    "交叉口": "intersection",
    "路口": "intersection",
    "地点": "place",
    "建筑": "place",
    "poi": "place",
    "building": "place",
    "社区": "community",
}
FIELDS = ("kind", "name", "lat", "lon", "category", "address", "road_class")


def gazetteer_revision_bump() -> None:
    """Tell every process its search index is stale (inside the transaction of the change)."""
    row, _ = GazetteerRevision.objects.get_or_create(pk=1)
    GazetteerRevision.objects.filter(pk=1).update(revision=F("revision") + 1)
    index.invalidate()


@dataclass
class Row:
    kind: str
    name: str
    lat: float
    lon: float
    category: str = ""
    address: str = ""
    road_class: int = 0
    line: str = ""


class RowError(DomainError):
    def __init__(self, where_zh: str, where_en: str, err: DomainError) -> None:
        super().__init__(
            "gazetteer_import_row",
            f"{where_zh}：{err.message_zh}",
            f"{where_en}: {err.message_en}",
            field=err.field or "file",
        )
        self.inner = err


def _bad(field: str, zh: str, en: str) -> DomainError:
    return DomainError("gazetteer_value_invalid", zh, en, field=field)


def _coordinate(value: object, field: str, low: float, high: float) -> float:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        raise _bad(
            field, f"{field} 必须是数字，收到 {value!r}", f"{field} must be a number, got {value!r}"
        ) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise _bad(field, f"{field} 超出范围 {low}…{high}", f"{field} is outside {low}…{high}")
    return number


def row_check(values: dict) -> Row:
    """One place from the values of a CSV row or a GeoJSON feature's properties (and point)."""
    raw_kind = str(values.get("kind") or "").strip()
    kind = KIND_NAMES.get(raw_kind.lower(), KIND_NAMES.get(raw_kind))
    if kind is None:
        raise _bad(
            "kind",
            f"类型应为 道路/交叉口/地点/社区 (road/intersection/place/community)，收到 {raw_kind!r}",
            f"kind must be road, intersection, place or community, got {raw_kind!r}",
        )
    name = text_check(str(values.get("name") or ""), field="name", max_length=100, required=True)
    lat = _coordinate(values.get("lat"), "lat", -90, 90)
    lon = _coordinate(values.get("lon"), "lon", -180, 180)
    category = text_check(str(values.get("category") or ""), field="category", max_length=20)
    address = text_check(str(values.get("address") or ""), field="address", max_length=200)
    raw_class = str(values.get("road_class") or "0").strip() or "0"
    if raw_class not in ("0", "1", "2", "3"):
        raise _bad("road_class", "道路等级应为 0–3", "road_class must be 0 to 3")
    return Row(kind, name, lat, lon, category, address, int(raw_class))


def rows_from_csv(data: bytes) -> list[Row]:
    """CSV with a header: kind,name,lat,lon and optionally category,address,road_class."""
    text = csv_decode(data)
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in ("kind", "name", "lat", "lon") if f not in (reader.fieldnames or [])]
    if missing:
        raise DomainError(
            "gazetteer_csv_header",
            f"第 1 行（表头）缺少列：{', '.join(missing)}",
            f"line 1 (header) lacks the columns: {', '.join(missing)}",
            field="file",
        )
    rows = []
    for values in reader:
        line = reader.line_num
        try:
            rows.append(row_check(values))
        except DomainError as err:
            raise RowError(f"第 {line} 行", f"line {line}", err) from err
    return rows


def _feature_row(feature: object) -> Row:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise _bad("file", "不是 GeoJSON Feature", "not a GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise _bad("file", "properties 必须是对象", "properties must be an object")
    try:
        geom = shapely.geometry.shape(feature.get("geometry") or {})
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, shapely.errors.GEOSException):
        raise _bad("geometry", "几何无效", "the geometry is invalid") from None
    if geom.is_empty or geom.geom_type not in ("Point", "LineString", "MultiLineString"):
        raise _bad(
            "geometry",
            f"只接受 Point、LineString 或 MultiLineString，收到 {geom.geom_type}",
            f"only Point, LineString or MultiLineString are accepted, got {geom.geom_type}",
        )
    values = dict(props)
    if geom.geom_type == "Point":
        values.setdefault("kind", "place")
        point = geom
    else:
        values.setdefault("kind", "road")
        point = shapely.line_interpolate_point(geom, 0.5, normalized=True)
    values["lat"], values["lon"] = point.y, point.x
    row = row_check(values)
    if geom.geom_type != "Point":
        if row.kind != PlaceKind.ROAD:
            raise _bad("kind", "线要素只能是道路", "a line can only be a road")
        lons, lats = shapely.get_coordinates(geom).T
        if not ((-180 <= lons) & (lons <= 180) & (-90 <= lats) & (lats <= 90)).all():
            raise _bad(
                "geometry",
                "坐标超出范围（应为 WGS-84 经纬度）",
                "coordinates are off the globe (WGS-84 expected)",
            )
        row.line = shapely.to_geojson(geom)
    return row


def rows_from_geojson(data: bytes) -> list[Row]:
    """A GeoJSON FeatureCollection: points are places (kind in properties), lines are roads."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise DomainError(
            "gazetteer_geojson",
            "不是有效的 GeoJSON (UTF-8 JSON)",
            "not valid GeoJSON (UTF-8 JSON)",
            field="file",
        ) from None
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise DomainError(
            "gazetteer_geojson", "应为 FeatureCollection", "a FeatureCollection is expected", field="file"
        )
    rows = []
    for number, feature in enumerate(doc["features"], start=1):
        try:
            rows.append(_feature_row(feature))
        except DomainError as err:
            raise RowError(f"第 {number} 个要素", f"feature {number}", err) from err
    return rows


@transaction.atomic
def places_save(*, rows: list[Row]) -> tuple[int, int]:
    """Create or update the places (keyed by kind and name); (created, updated)."""
    created = updated = 0
    for row in rows:
        defaults = {
            "lat": row.lat,
            "lon": row.lon,
            "category": row.category,
            "address": row.address,
            "road_class": row.road_class,
        }
        if row.line or row.kind == PlaceKind.ROAD:
            defaults["line"] = row.line
        place = Place.objects.filter(kind=row.kind, name=row.name).first() or Place(
            kind=row.kind, name=row.name
        )
        is_new = place.pk is None
        for key, value in defaults.items():
            setattr(place, key, value)
        place.save()
        created += is_new
        updated += not is_new
    gazetteer_revision_bump()
    return created, updated


def places_import(*, data: bytes, filename: str) -> tuple[int, int]:
    """Import a CSV or GeoJSON file (by its name's ending); all rows or none."""
    lower = filename.lower()
    if lower.endswith((".geojson", ".json")):
        rows = rows_from_geojson(data)
    elif lower.endswith(".csv"):
        rows = rows_from_csv(data)
    else:
        raise DomainError(
            "gazetteer_file_type",
            "只接受 .csv 或 .geojson 文件",
            "only .csv or .geojson files are accepted",
            field="file",
        )
    return places_save(rows=rows)
