"""Raster tiles from a local file the city licensed: MBTiles (SQLite, read with sqlite3, read-only)
or PMTiles (the `pmtiles` reader), set in CIVICGRID_MBTILES_PATH and served at /tiles/{z}/{x}/{y}.{ext}.

MBTiles rows count from the south (TMS): row = 2^z − 1 − y. The file is opened once per process
and thread, and opened again when it is replaced (its modification time changes).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass

from django.conf import settings
from django.utils.html import strip_tags

FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
MAX_ZOOM = 24


@dataclass(frozen=True)
class TileFile:
    path: str
    kind: str  # "mbtiles" or "pmtiles"
    format: str  # png, jpg, webp (raster) or what the file says (pbf: not drawable here)
    attribution: str
    name: str
    min_zoom: int
    max_zoom: int
    mtime: float

    @property
    def raster(self) -> bool:
        return self.format in FORMATS

    @property
    def url(self) -> str:
        return "/tiles/{z}/{x}/{y}." + self.format


_local = threading.local()


def _mbtiles_connection(path: str) -> sqlite3.Connection:
    # mode=ro: the platform never writes the city's file; immutable would skip locking but also
    # miss a replaced file, which the mtime check handles.
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def _open(path: str, mtime: float) -> tuple[TileFile, object]:
    if path.lower().endswith(".pmtiles"):
        from pmtiles.reader import MmapSource, Reader

        with open(path, "rb") as handle:  # the memory map stays valid once the file is closed
            reader = Reader(MmapSource(handle))
        header = reader.header()
        meta = reader.metadata() or {}
        fmt = {2: "png", 3: "jpg", 4: "webp"}.get(header["tile_type"].value, "pbf")
        info = TileFile(
            path=path,
            kind="pmtiles",
            format=fmt,
            attribution=strip_tags(str(meta.get("attribution", ""))).strip(),
            name=str(meta.get("name", "")),
            min_zoom=int(header["min_zoom"]),
            max_zoom=int(header["max_zoom"]),
            mtime=mtime,
        )
        return info, reader
    conn = _mbtiles_connection(path)
    meta = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
    fmt = str(meta.get("format", "png")).lower()
    zooms = conn.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
    info = TileFile(
        path=path,
        kind="mbtiles",
        format="jpg" if fmt == "jpeg" else fmt,
        attribution=strip_tags(str(meta.get("attribution", ""))).strip(),
        name=str(meta.get("name", "")),
        min_zoom=int(meta.get("minzoom", zooms[0] or 0)),
        max_zoom=int(meta.get("maxzoom", zooms[1] or 18)),
        mtime=mtime,
    )
    return info, conn


def _current() -> tuple[TileFile, object] | None:
    path = settings.CIVICGRID_MBTILES_PATH
    if not path:
        return None
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    cached = getattr(_local, "opened", None)
    if cached is None or cached[0].path != path or cached[0].mtime != mtime:
        if cached is not None and isinstance(cached[1], sqlite3.Connection):
            cached[1].close()
        cached = _open(path, mtime)
        _local.opened = cached
    return cached


def tile_file() -> TileFile | None:
    """The configured local tile file, or None (no setting, or the file is missing)."""
    opened = _current()
    return opened[0] if opened else None


def tile_read(z: int, x: int, y: int) -> bytes | None:
    """The tile's bytes, or None when the file has no such tile."""
    opened = _current()
    if opened is None:
        return None
    info, handle = opened
    if info.kind == "pmtiles":
        data = handle.get(z, x, y)
        return bytes(data) if data else None
    row = handle.execute(
        "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
        (z, x, (1 << z) - 1 - y),
    ).fetchone()
    return bytes(row[0]) if row else None
