"""Unit grid cells (单元网格) generated inside a community's or a street's boundary.

A regular grid of `size_m` × `size_m` squares (100–200 m: the "万米单元网格" scale) is laid over the
community, anchored at its north-west corner, and clipped to its boundary. A clipped piece smaller
than a fifth of a square is merged into the neighbour it shares the longest edge with, so that no
sliver becomes a cell of its own and the cells still cover the community without gap or overlap
(无缝拼接). Cells are numbered as the codes of the grid are (codes.py, GB/T 47678.3 / DB11 shape):
community code + a 3-digit sequence, west → east within a row, rows north → south.

For a street, each of its communities with a boundary is divided in the same way. `cells_plan`
computes and changes nothing (the preview); `cells_generate` computes the same plan and saves it in
one transaction, then bumps the grid revision, so every process rebuilds its point → cell index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import shapely
from django.db import transaction
from shapely.geometry import box, mapping

from civicgrid.core.errors import Conflict, DomainError
from civicgrid.grids.importer import _area_m2
from civicgrid.grids.models import Cell, Community, Street
from civicgrid.grids.services import grid_revision_bump

MIN_SIZE_M, MAX_SIZE_M, DEFAULT_SIZE_M = 100, 200, 150
SLIVER_SHARE = 0.2  # a piece under this share of a full square joins a neighbour
MAX_SEQUENCE = 999
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQUATOR = 111_320.0


@dataclass
class PlannedCell:
    code: str
    name: str
    community: Community
    geometry: shapely.Geometry
    area_m2: float


@dataclass
class Plan:
    area: Street | Community
    size_m: int
    cells: list[PlannedCell]

    def geojson(self) -> dict:
        """The planned cells and their communities' outlines, for the preview map."""
        features = [
            {
                "type": "Feature",
                "properties": {"code": c.code, "name": c.name, "kind": "cell", "area_m2": round(c.area_m2)},
                "geometry": mapping(c.geometry),
            }
            for c in self.cells
        ]
        for community in _communities(self.area):
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": community.code, "name": community.name, "kind": "boundary"},
                    "geometry": mapping(community.shape),
                }
            )
        return {"type": "FeatureCollection", "features": features}

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.cells:
            out[c.community.name] = out.get(c.community.name, 0) + 1
        return out


def check_size(size_m: object) -> int:
    try:
        size = int(str(size_m).strip())
    except (TypeError, ValueError):
        size = 0
    if not MIN_SIZE_M <= size <= MAX_SIZE_M:
        raise DomainError(
            "cell_size_invalid",
            f"网格边长应为 {MIN_SIZE_M}–{MAX_SIZE_M} 米之间的整数",
            f"the cell size must be a whole number of metres from {MIN_SIZE_M} to {MAX_SIZE_M}",
            field="size_m",
        )
    return size


def _communities(area: Street | Community) -> list[Community]:
    if isinstance(area, Community):
        return [area]
    return list(area.communities.exclude(geometry=None).order_by("code"))


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """Only the polygons of a clipped piece (an intersection may add lines or points at edges)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _divide(community: Community, size_m: int) -> list[tuple[int, int, shapely.Geometry]]:
    """(row from the north, column from the west, piece) of the community's boundary."""
    boundary = community.shape
    min_lon, min_lat, max_lon, max_lat = boundary.bounds
    lat0 = math.radians((min_lat + max_lat) / 2)
    dlon = size_m / (M_PER_DEG_LON_EQUATOR * math.cos(lat0))
    dlat = size_m / M_PER_DEG_LAT
    rows = max(1, math.ceil((max_lat - min_lat) / dlat - 1e-9))
    cols = max(1, math.ceil((max_lon - min_lon) / dlon - 1e-9))
    if rows * cols > 200_000:
        raise DomainError(
            "cell_grid_too_large",
            "区域过大，请按社区分别生成",
            "the area is too large: generate the cells community by community",
            field="size_m",
        )
    squares = [
        (
            r,
            c,
            box(min_lon + c * dlon, max_lat - (r + 1) * dlat, min_lon + (c + 1) * dlon, max_lat - r * dlat),
        )
        for r in range(rows)
        for c in range(cols)
    ]
    shapely.prepare(boundary)
    geoms = shapely.intersection([s for _, _, s in squares], boundary)
    full = dlon * dlat
    pieces = []
    for (r, c, _), geom in zip(squares, geoms, strict=True):
        piece = _polygonal(geom)
        if piece is not None and piece.area > full * 1e-6:
            pieces.append([r, c, piece])
    # Slivers join the neighbour with the longest shared edge (smallest first, so they can chain).
    big = [p for p in pieces if p[2].area >= full * SLIVER_SHARE]
    small = sorted((p for p in pieces if p[2].area < full * SLIVER_SHARE), key=lambda p: p[2].area)
    for piece in small:
        best, best_len = None, 0.0
        for other in big:
            if abs(other[0] - piece[0]) > 1 or abs(other[1] - piece[1]) > 1:
                continue
            shared = shapely.intersection(other[2].boundary, piece[2].boundary).length
            if shared > best_len:
                best, best_len = other, shared
        if best is None:
            big.append(piece)  # an island on its own: a cell of its own
        else:
            best[2] = _polygonal(shapely.make_valid(shapely.union(best[2], piece[2]))) or best[2]
    return sorted(((r, c, g) for r, c, g in big), key=lambda p: (p[0], p[1]))


def cells_plan(*, area: Street | Community, size_m: object = DEFAULT_SIZE_M) -> Plan:
    """The cells that would be generated (nothing is written): refused if a community already has cells."""
    size = check_size(size_m)
    communities = _communities(area)
    if not communities or any(c.shape is None for c in communities):
        raise DomainError(
            "boundary_missing",
            f"{area.name} 没有社区边界，请先导入边界",
            f"{area.name} has no community boundary: import the boundaries first",
        )
    taken = list(
        Cell.objects.filter(community__in=communities)
        .values_list("community__name", flat=True)
        .order_by("community__code")
        .distinct()
    )
    if taken:
        names = "、".join(taken)
        raise Conflict(
            "cells_exist",
            f"{names} 已有单元网格，不能重复生成",
            f"{', '.join(taken)} already has unit grid cells: they are not generated again",
        )
    cells = []
    for community in communities:
        pieces = _divide(community, size)
        if len(pieces) > MAX_SEQUENCE:
            raise DomainError(
                "cells_too_many",
                f"{community.name} 将分成 {len(pieces)} 个网格，超过 {MAX_SEQUENCE} 个编码上限，请增大边长",
                f"{community.name} would get {len(pieces)} cells, over the {MAX_SEQUENCE} codes: use larger cells",
                field="size_m",
            )
        for seq, (_, _, geom) in enumerate(pieces, start=1):
            cells.append(
                PlannedCell(
                    code=f"{community.code}{seq:03d}",
                    name=f"{community.name}{seq:03d}网格",
                    community=community,
                    geometry=geom,
                    area_m2=_area_m2(geom),
                )
            )
    return Plan(area=area, size_m=size, cells=cells)


@transaction.atomic
def cells_generate(*, area: Street | Community, size_m: object = DEFAULT_SIZE_M) -> Plan:
    """Save the plan's cells in one transaction and bump the grid revision (the index is rebuilt)."""
    # Lock the communities so that two generations of one area cannot both pass the "no cells" check.
    communities = _communities(area)
    list(Community.objects.select_for_update().filter(pk__in=[c.pk for c in communities]))
    plan = cells_plan(area=area, size_m=size_m)
    rows = []
    for planned in plan.cells:
        cell = Cell(
            code=planned.code,
            name=planned.name,
            community=planned.community,
            street_id=planned.community.street_id,
            area_m2=planned.area_m2,
        )
        cell.set_shape(planned.geometry)
        rows.append(cell)
    Cell.objects.bulk_create(rows, batch_size=500)
    grid_revision_bump()
    return plan
