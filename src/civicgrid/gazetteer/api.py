"""Gazetteer API: search places by name, pinyin or initials; the nearest address of a point; the
base map every map draws (tile source or vector layers)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from civicgrid.accounts.auth import api_scope
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.accounts.scopes import Scope
from civicgrid.core.errors import NotFound
from civicgrid.gazetteer import basemap
from civicgrid.gazetteer.selectors import MAX_QUERY, place_reverse, place_search

router = Router(tags=["places"])


class SearchIn(Schema):
    q: str = Field(
        ...,
        min_length=1,
        max_length=MAX_QUERY,
        description="名称片段、拼音或拼音首字母；也可为二维码或单元网格编码",
    )
    limit: int = Field(10, ge=1, le=50)


class PlaceOut(Schema):
    name: str
    kind: str = Field(..., description="road | intersection | place | community | cell | code")
    kind_label: str
    lat: float
    lon: float
    address: str
    category: str


class SearchOut(Schema):
    results: list[PlaceOut]


class ReverseIn(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)


class AddressOut(Schema):
    address: str = Field(..., description="如 人民路与建设大街交叉口附近、文化巷 12 号附近")
    kind: str
    name: str
    distance: float = Field(..., description="metres to the named feature")
    lat: float
    lon: float


class ReverseOut(Schema):
    address: AddressOut | None


@router.get("/search", response=SearchOut)
@api_scope(Scope.PUBLIC)
def search(request, params: Query[SearchIn]):
    """Places matching `q`: part of a Chinese name (人民), pinyin (renmin) or initials (rml), best
    first; a QR code token or a unit grid cell code finds its place too."""
    return {"results": [h.as_dict() for h in place_search(params.q, limit=params.limit)]}


@router.get("/reverse", response=ReverseOut)
@api_scope(Scope.PUBLIC)
def reverse(request, params: Query[ReverseIn]):
    """The nearest address of a WGS-84 point (an intersection, a place, a house number along a road,
    a community), or null when nothing is near."""
    found = place_reverse(params.lat, params.lon)
    return {"address": found.as_dict() if found else None}


@router.get("/basemap")
@api_scope(Scope.PUBLIC)
def basemap_config(request):
    """The base map: `source` external | file | vector, the tile URL template or the vector layers,
    the attribution, and (staff only) a one-line notice when no base map is configured."""
    # Told to those who run the city's platform (command centre, leaders, administrators), not to
    # citizens or field staff, for whom the line would only take room on a phone's map.
    staff = user_can(request.user, Capability.VIEW_CITY) or user_can(request.user, Capability.CONFIGURE)
    return basemap.basemap_config(staff=staff)


@router.get("/base/{layer}")
@api_scope(Scope.PUBLIC)
def base_layer(request, layer: str):
    """One layer of the drawn base map (blocks, roads, places, boundaries) as GeoJSON; ETag and 304."""
    if layer not in basemap.LAYERS:
        raise NotFound("layer_unknown", f"没有底图图层 {layer}", f"no base map layer {layer}")
    etag = basemap.layer_etag(layer)
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(basemap.layer_geojson(layer), content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=60"
    return response
