"""GeoJSON test files for the grid importer: a small, valid hierarchy in district 150602 and bad features."""

from __future__ import annotations

import copy
import json

from shapely.geometry import MultiPolygon, Polygon, box, mapping

DISTRICT = "150602"
STREET = "150602001"
COMMUNITY = "150602001001"
CELL_POLYGON = "150602001001001"
CELL_MULTI = "150602001001002"

CELL_POLYGON_SHAPE = box(109.90, 39.80, 109.92, 39.82)
HOLE = box(109.925, 39.803, 109.935, 39.807)
CELL_MULTI_SHAPE = MultiPolygon(
    [
        Polygon(box(109.92, 39.80, 109.94, 39.809).exterior.coords, [HOLE.exterior.coords]),
        box(109.92, 39.811, 109.94, 39.82),
    ]
)


def feature(level: str, code: str, name: str, geometry: dict | None, **props: object) -> dict:
    return {
        "type": "Feature",
        "properties": {"level": level, "code": code, "name": name, **props},
        "geometry": geometry,
    }


def geometry(geom) -> dict:
    return json.loads(json.dumps(mapping(geom)))


def good_collection() -> dict:
    """District, street, community and two cells (a Polygon and a MultiPolygon with a hole)."""
    outline = geometry(box(109.90, 39.80, 109.94, 39.82))
    return {
        "type": "FeatureCollection",
        "features": [
            feature("district", DISTRICT, "东胜区", outline),
            feature("street", STREET, "交通街道", outline),
            feature("community", COMMUNITY, "东苑社区", outline),
            feature("cell", CELL_POLYGON, "东苑一格", geometry(CELL_POLYGON_SHAPE), land_use="居住"),
            feature("cell", CELL_MULTI, "东苑二格", geometry(CELL_MULTI_SHAPE)),
        ],
    }


def with_feature(extra: dict) -> dict:
    data = copy.deepcopy(good_collection())
    data["features"].append(extra)
    return data
