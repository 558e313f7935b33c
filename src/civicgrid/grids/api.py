"""Grids API: locate a point, and the cells in a bounding box as GeoJSON."""

from __future__ import annotations

from ninja import Query, Router, Schema

from civicgrid.accounts.auth import api_scope
from civicgrid.accounts.scopes import Scope
from civicgrid.grids.coords import CoordSystem
from civicgrid.grids.models import Cell
from civicgrid.grids.selectors import cells_in_bbox, parse_bbox
from civicgrid.grids.services import place_resolve

router = Router(tags=["grids"])


class LocateIn(Schema):
    lat: float
    lon: float
    crs: CoordSystem = CoordSystem.WGS84


class CellOut(Schema):
    code: str
    name: str
    community: str
    street: str


class LocateOut(Schema):
    lat: float
    lon: float
    cell: CellOut | None


def cell_out(cell: Cell) -> CellOut:
    return CellOut(code=cell.code, name=cell.name, community=cell.community.name, street=cell.street.name)


@router.get("/locate", response=LocateOut)
@api_scope(Scope.PUBLIC)
def locate(request, params: Query[LocateIn]):
    """Convert a point to WGS-84 and find its unit grid cell (422 outside the city)."""
    place = place_resolve(lat=params.lat, lon=params.lon, crs=params.crs)
    cell = None
    if place.cell is not None:
        cell = Cell.objects.select_related("community", "street").get(pk=place.cell.pk)
    return LocateOut(lat=place.lat, lon=place.lon, cell=cell_out(cell) if cell else None)


@router.get("/cells.geojson")
@api_scope(Scope.PUBLIC)
def cells_geojson(request, bbox: str):
    """Unit grid cells intersecting `bbox=min_lon,min_lat,max_lon,max_lat` (WGS-84) as GeoJSON."""
    box = parse_bbox(bbox)
    features = [
        {
            "type": "Feature",
            "id": cell.code,
            "geometry": cell.geojson,
            "properties": {
                "code": cell.code,
                "name": cell.name,
                "street": cell.street.name,
                "community": cell.community.name,
            },
        }
        for cell in cells_in_bbox(box)
    ]
    return {"type": "FeatureCollection", "features": features}
