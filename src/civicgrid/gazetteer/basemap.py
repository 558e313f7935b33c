"""Which base map every map draws, and the base map drawn from the platform's own data.

The source, in order: an external tile server (CIVICGRID_TILE_URL), a local MBTiles/PMTiles file
(CIVICGRID_MBTILES_PATH, served at /tiles/…), else vector layers from the gazetteer and the grid
hierarchy: blocks, roads with their names, places, street and community boundaries with labels.
Each vector layer is one GeoJSON, built once per process for a (gazetteer, grid) revision pair.
"""

from __future__ import annotations

import json
import threading

import shapely
from django.conf import settings
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _

from civicgrid.gazetteer import index, tiles
from civicgrid.gazetteer.models import Place, PlaceKind
from civicgrid.grids import index as grid_index
from civicgrid.grids.models import Community, District, Street

LAYERS = ("blocks", "roads", "places", "boundaries")
ROAD_WIDTH = {1: 0.00022, 2: 0.00015, 3: 0.00008, 0: 0.0001}  # half widths (degrees) cut from blocks
_lock = threading.Lock()
_built = index.layer_cache


def basemap_config(*, staff: bool) -> dict:
    """What civicgrid-map.js draws under every map; `notice` (one line) only for staff."""
    if settings.CIVICGRID_TILE_URL:
        return {
            "source": "external",
            "tiles": settings.CIVICGRID_TILE_URL,
            "attribution": escape(strip_tags(settings.CIVICGRID_TILE_ATTRIBUTION)),
            "maxNativeZoom": 19,
            "notice": "",
        }
    local = tiles.tile_file()
    if local is not None and local.raster:
        return {
            "source": "file",
            "tiles": local.url,
            "attribution": escape(local.attribution),
            "minNativeZoom": local.min_zoom,
            "maxNativeZoom": local.max_zoom,
            "notice": "",
        }
    if settings.CIVICGRID_MBTILES_PATH:
        notice = _("底图文件不可用，显示示意底图")
        hint = _("CIVICGRID_MBTILES_PATH 指向的文件不存在或不是栅格瓦片 (png/jpg/webp)")
    else:
        notice = _("未配置底图，显示平台数据绘制的示意底图")
        hint = _("设置")
    return {
        "source": "vector",
        "tiles": None,
        "attribution": escape(_("示意底图：平台地名地址库")),
        "layers": {name: f"/api/places/base/{name}" for name in LAYERS},
        "notice": notice if staff else "",
        "hint": hint if staff else "",
    }


def layer_etag(name: str) -> str:
    return f'"base-{name}-{index.current_revision()}-{grid_index.current_revision()}"'


def layer_geojson(name: str) -> bytes:
    """One vector layer as GeoJSON bytes (cached per process until either revision moves)."""
    key = (name, index.current_revision(), grid_index.current_revision())
    cached = _built.get(key)
    if cached is not None:
        return cached
    with _lock:
        builder = {"blocks": _blocks, "roads": _roads, "places": _places, "boundaries": _boundaries}[name]
        body = json.dumps(
            {"type": "FeatureCollection", "features": builder()}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        for old in [k for k in _built if k[0] == name]:
            del _built[old]
        _built[key] = body
        return body


def _feature(geom: shapely.Geometry | dict, **properties) -> dict:
    geometry = (
        geom if isinstance(geom, dict) else json.loads(shapely.to_geojson(shapely.set_precision(geom, 1e-6)))
    )
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _road_rows() -> list[Place]:
    return [
        p for p in Place.objects.filter(kind=PlaceKind.ROAD).exclude(line="").order_by("road_class", "name")
    ]


def _roads() -> list[dict]:
    return [_feature(p.line_geojson, name=p.name, cls=p.road_class or 3) for p in _road_rows()]


def _places() -> list[dict]:
    rows = (
        Place.objects.filter(kind=PlaceKind.PLACE)
        .order_by("name")
        .values_list("name", "category", "lat", "lon")
    )
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": n, "category": c},
        }
        for n, c, lat, lon in rows
    ]


def _boundaries() -> list[dict]:
    out = []
    for level, model in (("street", Street), ("community", Community)):
        for area in model.objects.exclude(geometry=None).order_by("code").only("code", "name", "geometry"):
            shape = area.shape
            if shape is None or shape.is_empty:
                continue
            centre = shape.representative_point()
            out.append(_feature(shape.boundary, level=level, name=area.name, code=area.code))
            out.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [round(centre.x, 6), round(centre.y, 6)]},
                    "properties": {"level": level, "name": area.name, "label": True},
                }
            )
    return out


def _blocks() -> list[dict]:
    """The town's blocks: the faces the roads cut the district into, less the roads' width; a
    block holding a park is green, one holding a school or hospital is marked public."""
    roads = _road_rows()
    districts = [d.shape for d in District.objects.exclude(geometry=None) if d.shape is not None]
    if not roads or not districts:
        return []
    area = shapely.union_all(districts)
    lines = [p.shape for p in roads if p.shape is not None]
    network = shapely.union_all([*lines, area.boundary])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(network)))
    cut = shapely.union_all(
        [
            line.buffer(ROAD_WIDTH.get(p.road_class, 0.0001), cap_style="flat")
            for p, line in zip(roads, lines, strict=True)
        ]
    )
    pois = list(Place.objects.filter(kind=PlaceKind.PLACE).values_list("category", "lat", "lon"))
    out = []
    for face in faces:
        if not area.contains(face.representative_point()):
            continue
        block = face.difference(cut).buffer(-0.00003)
        if block.is_empty or block.area < 1e-8:
            continue
        use = "built"
        for category, lat, lon in pois:
            if block.contains(shapely.Point(lon, lat)):
                use = {"公园": "green", "广场": "green", "学校": "public", "医院": "public"}.get(
                    category, use
                )
                if use == "green":
                    break
        out.append(_feature(block, use=use))
    return out
