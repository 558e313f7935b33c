"""/tiles/{z}/{x}/{y}.{ext}: raster tiles from the city's MBTiles or PMTiles file (tiles.py)."""

from __future__ import annotations

import hashlib

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from civicgrid.gazetteer import tiles

MAX_AGE = 86_400  # a day: a city's licensed tiles change seldom; the ETag answers a 304 after that


def _refuse(status: int, code: str, zh: str, en: str) -> JsonResponse:
    body = {"error": code, "field": None, "message": zh, "message_zh": zh, "message_en": en}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@require_safe
def tile(request, z: str, x: str, y: str, ext: str):
    if not (z.isdigit() and x.isdigit() and y.isdigit()) or len(z) > 2 or len(x) > 9 or len(y) > 9:
        return _refuse(400, "tile_address", "瓦片编号应为整数 z/x/y", "z, x and y must be whole numbers")
    zi, xi, yi = int(z), int(x), int(y)
    if zi > tiles.MAX_ZOOM or xi >= 1 << zi or yi >= 1 << zi:
        return _refuse(400, "tile_address", "瓦片编号超出范围", "z, x or y is out of range")
    if ext.lower() not in tiles.FORMATS:
        return _refuse(
            400, "tile_format", "只提供 png、jpg、webp 瓦片", "only png, jpg and webp tiles are served"
        )
    source = tiles.tile_file()
    if source is None or ext.lower().replace("jpeg", "jpg") != source.format:
        return _refuse(404, "tile_missing", "没有这个瓦片", "no such tile")
    data = tiles.tile_read(zi, xi, yi)
    if data is None:
        return _refuse(404, "tile_missing", "没有这个瓦片", "no such tile")
    etag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(data, content_type=tiles.FORMATS[source.format])
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
