"""Tiny MBTiles and PMTiles files for the tests: PNG tiles drawn with Pillow, written with sqlite3."""

from __future__ import annotations

import io
import math
import sqlite3
from pathlib import Path

from PIL import Image


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def tile_xy(lat: float, lon: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def make_mbtiles(
    path: Path, tiles: dict[tuple[int, int, int], bytes], *, attribution: str = "", fmt: str = "png"
) -> Path:
    """`tiles` by (z, x, y) in the XYZ scheme the maps ask; stored in the file's TMS rows."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE metadata (name text, value text)")
    conn.execute(
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)"
    )
    zooms = [z for z, _x, _y in tiles]
    meta = {
        "name": "测试底图",
        "format": fmt,
        "attribution": attribution,
        "minzoom": min(zooms),
        "maxzoom": max(zooms),
        "bounds": "109.70,39.55,109.90,39.70",
    }
    conn.executemany("INSERT INTO metadata VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
    conn.executemany(
        "INSERT INTO tiles VALUES (?, ?, ?, ?)",
        [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()],
    )
    conn.commit()
    conn.close()
    return path


def city_tiles(south: float, west: float, north: float, east: float, zooms=range(12, 17)) -> dict:
    """One light grey PNG for every tile over the box at each zoom."""
    data = png((225, 232, 240))
    out = {}
    for z in zooms:
        x0, y0 = tile_xy(north, west, z)
        x1, y1 = tile_xy(south, east, z)
        for x in range(x0 - 1, x1 + 2):
            for y in range(y0 - 1, y1 + 2):
                out[(z, x, y)] = data
    return out
