"""The in-memory point → cell index (shapely 2 STRtree), one per process.

`locate()` is on the path of every report, so it must cost about what a bare STRtree query
costs (~10 µs). The index is built once per process from the cells table and rebuilt when the
grid revision changes (core/processcopy.py); another process's change is noticed within
CIVICGRID_GRID_RECHECK_SECONDS (one tiny query at most that often, never per lookup).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from civicgrid.core.processcopy import ProcessCopy
from civicgrid.grids.models import Cell, District, GridRevision


@dataclass(frozen=True)
class CellIndex:
    """Cells sorted by code, their STRtree, and the prepared city boundary."""

    cells: list[Cell]
    tree: shapely.STRtree
    boundary: shapely.Geometry | None
    revision: int

    @classmethod
    def build(cls, cells: list[Cell], districts: list[District], revision: int) -> CellIndex:
        cells = sorted(cells, key=lambda c: c.code)
        geoms = [c.shape for c in cells]
        tree = shapely.STRtree(geoms)
        outlines = [d.shape for d in districts if d.shape is not None] or geoms
        boundary = shapely.union_all(outlines) if outlines else None
        if boundary is not None:
            shapely.prepare(boundary)
        return cls(cells=cells, tree=tree, boundary=boundary, revision=revision)

    def locate(self, lat: float, lon: float) -> Cell | None:
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 1:
            return self.cells[hits[0]]
        if len(hits) == 0:
            return None
        # On an edge shared by two cells the point belongs to both; the lowest code wins, always.
        return self.cells[min(hits.tolist())]

    def locate_many(self, lats: np.ndarray, lons: np.ndarray) -> list[Cell | None]:
        """Bulk lookup (demo and imports): one vectorised query for all points."""
        pts = shapely.points(lons, lats)
        point_idx, cell_idx = self.tree.query(pts, predicate="intersects")
        best: dict[int, int] = {}
        for p, c in zip(point_idx.tolist(), cell_idx.tolist(), strict=True):
            if p not in best or c < best[p]:
                best[p] = c
        return [self.cells[best[i]] if i in best else None for i in range(len(pts))]

    def in_city(self, lat: float, lon: float) -> bool:
        if self.boundary is None:
            return False
        return bool(shapely.intersects_xy(self.boundary, lon, lat))


def current_revision() -> int:
    row = GridRevision.objects.filter(pk=1).values_list("revision", flat=True).first()
    return int(row or 0)


def _load(revision: int) -> CellIndex:
    # The street comes along (code and name): a report's answer names it without another query.
    cells = list(
        Cell.objects.select_related("street").only(
            "id",
            "code",
            "name",
            "community_id",
            "street_id",
            "geometry",
            "street__id",
            "street__code",
            "street__name",
        )
    )
    districts = list(District.objects.exclude(geometry=None).only("id", "code", "geometry"))
    return CellIndex.build(cells, districts, revision)


_copy: ProcessCopy[CellIndex] = ProcessCopy(load=_load, current_revision=current_revision)
# The process's index, rebuilt if the grid revision moved since it was built.
get_index = _copy.get
# Forget the index in this process (after this process changed the grid, or in tests).
invalidate = _copy.invalidate


def locate(lat: float, lon: float) -> Cell | None:
    """The unit grid cell containing the WGS-84 point, or None."""
    return get_index().locate(lat, lon)
