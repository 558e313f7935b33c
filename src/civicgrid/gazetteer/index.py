"""The in-memory reverse-lookup index of the gazetteer (shapely 2 STRtree), one per process.

Coordinates are projected to metres around the city (equirectangular: good to a few parts in a
thousand over a district), so distances are metres. Rebuilt when the gazetteer revision moves, as
the grid index is (core/processcopy.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from civicgrid.core.processcopy import ProcessCopy
from civicgrid.gazetteer.models import GazetteerRevision, Place, PlaceKind

M_PER_DEG_LAT = 110_574.0


@dataclass(frozen=True)
class Projection:
    lat0: float

    @property
    def kx(self) -> float:
        return 111_320.0 * math.cos(math.radians(self.lat0))

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return lon * self.kx, lat * M_PER_DEG_LAT

    def geom(self, geom: shapely.Geometry) -> shapely.Geometry:
        """A WGS-84 (lon, lat) geometry in metres."""
        return shapely.transform(geom, lambda c: c * np.array([self.kx, M_PER_DEG_LAT]))


@dataclass(frozen=True)
class Layer:
    places: list[Place]
    tree: shapely.STRtree
    geoms: list[shapely.Geometry]

    @classmethod
    def build(cls, places: list[Place], geoms: list[shapely.Geometry]) -> Layer:
        return cls(places=places, tree=shapely.STRtree(geoms), geoms=geoms)

    def nearest(self, point: shapely.Point, max_distance: float) -> tuple[int, float] | None:
        """(position, metres) of the nearest feature within max_distance; ties go to the first name."""
        if not self.places:
            return None
        hits, distances = self.tree.query_nearest(point, max_distance=max_distance, return_distance=True)
        if len(hits) == 0:
            return None
        best = min(range(len(hits)), key=lambda i: (distances[i], self.places[hits[i]].name))
        return int(hits[best]), float(distances[best])


@dataclass(frozen=True)
class GazetteerIndex:
    projection: Projection
    roads: Layer
    intersections: Layer
    places: Layer
    communities: Layer
    revision: int


def current_revision() -> int:
    row = GazetteerRevision.objects.filter(pk=1).values_list("revision", flat=True).first()
    return int(row or 0)


def _load(revision: int) -> GazetteerIndex:
    rows = list(Place.objects.order_by("kind", "name"))
    lat0 = float(np.mean([p.lat for p in rows])) if rows else 39.6
    proj = Projection(lat0)
    by_kind: dict[str, tuple[list[Place], list[shapely.Geometry]]] = {k: ([], []) for k in PlaceKind.values}
    for p in rows:
        geom = proj.geom(p.shape) if p.kind == PlaceKind.ROAD and p.shape is not None else None
        if geom is None:
            geom = shapely.Point(*proj.xy(p.lat, p.lon))
        by_kind[p.kind][0].append(p)
        by_kind[p.kind][1].append(geom)
    layer = {k: Layer.build(*v) for k, v in by_kind.items()}
    return GazetteerIndex(
        projection=proj,
        roads=layer[PlaceKind.ROAD],
        intersections=layer[PlaceKind.INTERSECTION],
        places=layer[PlaceKind.PLACE],
        communities=layer[PlaceKind.COMMUNITY],
        revision=revision,
    )


_copy: ProcessCopy[GazetteerIndex] = ProcessCopy(load=_load, current_revision=current_revision)
get_index = _copy.get
# The drawn base map's GeoJSON layers (basemap.py), keyed by layer and revisions.
layer_cache: dict[tuple[str, int, int], bytes] = {}


def invalidate() -> None:
    """Forget this process's index and drawn layers (after this process changed them, and in tests)."""
    _copy.invalidate()
    layer_cache.clear()
