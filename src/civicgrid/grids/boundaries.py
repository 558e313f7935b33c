"""Boundary files as Chinese map data services and surveying offices publish them, into the grid importer.

Two shapes come in:

- **GeoJSON** from the map services (DataV.GeoAtlas, 高德/腾讯 boundary exports): a FeatureCollection or a
  plain JSON array of Features, with `adcode` (or `code`), `name` and `level` properties, usually in
  GCJ-02 (converted to WGS-84 by `coords.to_wgs84` in the importer).
- **Shapefiles** (a .zip with .shp, .dbf and .prj, read with pyshp) from a surveying office, often in
  projected CGCS2000 coordinates — a Gauss-Krüger 3° or 6° zone (EPSG:4491–4554) — or geographic
  CGCS2000 (EPSG:4490). The .prj says which; pyproj brings them to CGCS2000 longitude/latitude, which
  at a city's scale is WGS-84 (the two differ by a few centimetres).

Both become the FeatureCollection `importer.import_geojson` takes (level, code, name), which checks
every feature and writes all or nothing.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from civicgrid.core.errors import DomainError
from civicgrid.grids.codes import LEVEL_LENGTHS
from civicgrid.grids.coords import CoordSystem
from civicgrid.grids.importer import GridImportError, ImportResult, Problem, import_geojson

MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

CODE_KEYS = ("code", "adcode", "编码", "区划代码", "行政区划代码", "bsm", "wgbm", "dm")
NAME_KEYS = ("name", "名称", "mc", "wgmc")
LEVEL_KEYS = ("level", "层级", "级别", "jb")
LEVELS = {
    "district": "district",
    "county": "district",
    "区县": "district",
    "区": "district",
    "县": "district",
    "street": "street",
    "town": "street",
    "township": "street",
    "subdistrict": "street",
    "街道": "street",
    "乡镇": "street",
    "镇": "street",
    "乡": "street",
    "community": "community",
    "village": "community",
    "社区": "community",
    "村": "community",
    "cell": "cell",
    "grid": "cell",
    "单元网格": "cell",
    "网格": "cell",
}
ABOVE_DISTRICT = {"country": "国家", "province": "省级", "city": "市级"}
LEVEL_BY_LENGTH = {length: level for level, length in LEVEL_LENGTHS.items()}
# Datums taken as WGS-84 at a city's scale (CGCS2000 and WGS-84 differ by centimetres).
ACCEPTED_DATUMS = ("China 2000", "China_2000", "World Geodetic System 1984", "WGS_1984", "WGS 84")


def _refused(message_zh: str, message_en: str) -> GridImportError:
    return GridImportError([Problem(0, "", message_zh, message_en)])


def _pick(props: dict, keys: tuple[str, ...]) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in props.items()}
    for key in keys:
        value = lowered.get(key)
        if value not in (None, ""):
            return value
    return None


def _code_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip()


def normalize_properties(props: dict) -> dict:
    """level, code and name from a map service's or a surveying office's attribute names.

    An unknown level is kept as written (the importer refuses it, naming the feature); a missing one
    is read from the code's length (6 district, 9 street, 12 community, 15 cell). A 12-digit township
    code of the statistical division scheme (150602001000) is its 9-digit street code.
    """
    code = _code_text(_pick(props, CODE_KEYS))
    raw_level = _pick(props, LEVEL_KEYS)
    if raw_level is None:
        level = LEVEL_BY_LENGTH.get(len(code), "")
    else:
        level = LEVELS.get(str(raw_level).strip().lower(), str(raw_level).strip().lower())
    if level == "street" and len(code) == 12 and code.endswith("000"):
        code = code[:9]
    if level == "community" and len(code) == 15 and code.endswith("000"):
        code = code[:12]
    name = str(_pick(props, NAME_KEYS) or "").strip() or code
    return {**props, "level": level, "code": code, "name": name}


def features_of(data: object) -> list:
    """The features of a FeatureCollection or of a plain array of Features (what DataV serves)."""
    if isinstance(data, list):
        return data
    if (
        isinstance(data, dict)
        and data.get("type") == "FeatureCollection"
        and isinstance(data.get("features"), list)
    ):
        return data["features"]
    if isinstance(data, dict) and data.get("type") == "Feature":
        return [data]
    raise _refused(
        "文件不是 GeoJSON：应为 FeatureCollection 或 Feature 数组",
        "not GeoJSON: expected a FeatureCollection or an array of Features",
    )


def import_boundaries(data: object, *, crs: str = CoordSystem.WGS84) -> ImportResult:
    """Import a map service's boundary GeoJSON (FeatureCollection or array; `crs` usually GCJ-02)."""
    features = []
    above: list[Problem] = []
    for i, feature in enumerate(features_of(data)):
        if (
            isinstance(feature, dict)
            and feature.get("type") == "Feature"
            and isinstance(feature.get("properties") or {}, dict)
        ):
            feature = {**feature, "properties": normalize_properties(feature.get("properties") or {})}
            props = feature["properties"]
            if not props["code"]:
                above.append(Problem(i, "", "缺少编码（adcode 或 code）", "no code (adcode or code)"))
            elif props["level"] in ABOVE_DISTRICT:
                above.append(
                    Problem(
                        i,
                        props["code"],
                        f"{props['name']}是{ABOVE_DISTRICT[props['level']]}边界，只能导入区县及以下"
                        "（地图服务请下载含下级的 _full 文件）",
                        f"{props['name']} is a {props['level']} boundary: only districts and below are "
                        "imported (from a map service, download the _full file with its districts)",
                    )
                )
        features.append(feature)
    if above:
        raise GridImportError(above)
    return import_geojson({"type": "FeatureCollection", "features": features}, crs=crs)


# --- Shapefiles ----------------------------------------------------------------------------------------


def _zip_members(data: bytes) -> dict[str, bytes]:
    if len(data) > MAX_ZIP_BYTES:
        raise _refused("压缩包超过 50 MB", "the zip file is over 50 MB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise _refused("不是有效的 zip 压缩包", "not a valid zip file") from exc
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX")]
        if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
            raise _refused("压缩包解压后超过 200 MB", "the zip file unpacks to over 200 MB")
        shps = [i for i in infos if i.filename.lower().endswith(".shp")]
        if len(shps) != 1:
            raise _refused(
                f"压缩包中应恰有一个 .shp 文件，找到 {len(shps)} 个",
                f"the zip must hold exactly one .shp file, found {len(shps)}",
            )
        stem = shps[0].filename[:-4]
        members = {}
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            info = next((i for i in infos if i.filename.lower() == f"{stem.lower()}.{ext}"), None)
            if info is not None:
                members[ext] = archive.read(info)
    for ext, what in (("dbf", "属性表 .dbf"), ("prj", "坐标系文件 .prj")):
        if ext not in members:
            raise _refused(
                f"压缩包缺少{what}（与 .shp 同名）",
                f"the zip has no .{ext} file beside the .shp",
            )
    return members


def _transformer(prj: bytes):
    """A lon/lat transformer for the .prj's CRS (CGCS2000 or WGS-84 datum), or None if already lon/lat."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_wkt(prj.decode("utf-8", errors="replace").strip())
    except CRSError as exc:
        raise _refused(
            "无法识别 .prj 中的坐标系", "the coordinate system in the .prj cannot be read"
        ) from exc
    datum = crs.datum.name if crs.datum is not None else ""
    if not any(name in datum for name in ACCEPTED_DATUMS):
        raise _refused(
            f"只支持 CGCS2000 或 WGS-84 坐标系，文件为 {crs.name}（请先转换为 CGCS2000）",
            f"only CGCS2000 or WGS-84 coordinates are supported, the file is in {crs.name} (convert it first)",
        )
    if crs.is_geographic:
        return None
    return Transformer.from_crs(crs, CRS.from_epsg(4490), always_xy=True)


def _dbf_encoding(members: dict[str, bytes]) -> str:
    if "cpg" in members:
        name = members["cpg"].decode("ascii", errors="ignore").strip().lower()
        if name in ("936", "cp936", "gbk", "gb2312", "gb18030"):
            return "gb18030"
        if name:
            return name
    return "utf-8"


def _read_records(members: dict[str, bytes], encoding: str) -> list[tuple[dict, Any]]:
    import shapefile

    reader = shapefile.Reader(
        shp=io.BytesIO(members["shp"]),
        shx=io.BytesIO(members["shx"]) if "shx" in members else None,
        dbf=io.BytesIO(members["dbf"]),
        encoding=encoding,
    )
    with reader:
        return [(sr.record.as_dict(), sr.shape.__geo_interface__) for sr in reader.iterShapeRecords()]


def shapefile_features(data: bytes) -> tuple[list[dict], bool]:
    """The zipped Shapefile's polygons as GeoJSON Features in longitude/latitude, and whether they were
    projected (then they are CGCS2000/WGS-84 now, whatever else the caller believes)."""
    import shapefile

    members = _zip_members(data)
    transformer = _transformer(members["prj"])
    encoding = _dbf_encoding(members)
    unreadable = (shapefile.ShapefileException, UnicodeDecodeError, ValueError, OSError, EOFError)
    try:
        try:
            records = _read_records(members, encoding)
        except unreadable:
            if "cpg" in members:
                raise
            records = _read_records(members, "gb18030")  # Chinese shapefiles without a .cpg are GBK
    except unreadable as exc:
        raise _refused(f"Shapefile 无法读取：{exc}", f"the Shapefile cannot be read: {exc}") from exc
    features = []
    for props, geo in records:
        props = normalize_properties(props)
        if transformer is not None and geo and geo.get("type") in ("Polygon", "MultiPolygon"):
            try:
                geom = shape(geo)
            except Exception:  # malformed rings: the importer says so for this feature
                geom = None
            if geom is not None:

                def project(xy: np.ndarray) -> np.ndarray:
                    lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
                    return np.column_stack([lon, lat])

                geo = mapping(shapely.transform(geom, project))
        features.append({"type": "Feature", "properties": props, "geometry": geo})
    return features, transformer is not None


def import_shapefile(data: bytes, *, crs: str = CoordSystem.WGS84) -> ImportResult:
    """Import a zipped Shapefile: projected CGCS2000 is unprojected by its .prj; a geographic one may be
    declared GCJ-02 with `crs` (a .prj cannot say so)."""
    features, projected = shapefile_features(data)
    if not features:
        raise _refused("Shapefile 中没有要素", "the Shapefile has no features")
    return import_geojson(
        {"type": "FeatureCollection", "features": features}, crs=CoordSystem.WGS84 if projected else crs
    )


def import_boundary_file(name: str, data: bytes, *, crs: str = CoordSystem.WGS84) -> ImportResult:
    """A boundary file by its name: .zip → Shapefile, .json/.geojson → GeoJSON."""
    import json

    lowered = name.lower()
    if lowered.endswith(".zip"):
        return import_shapefile(data, crs=crs)
    if lowered.endswith((".json", ".geojson")):
        try:
            parsed = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _refused(f"JSON 格式错误：{exc}", f"malformed JSON: {exc}") from exc
        return import_boundaries(parsed, crs=crs)
    raise DomainError(
        "file_type",
        "只接受 .json/.geojson 或 Shapefile 的 .zip 压缩包",
        "only .json/.geojson or a zipped Shapefile (.zip) are accepted",
        field="file",
    )
