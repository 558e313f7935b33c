"""Map API: the layer catalogue and each layer as cacheable GeoJSON (ETag, If-None-Match → 304).

Open to everybody: anonymous visitors and citizens get the public layers (public cases, masked);
staff who may see the whole city (VIEW_CITY) get every layer. A bearer token is honoured too.
"""

from __future__ import annotations

import json
from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from ninja import Query, Router, Schema

from civicgrid.accounts.auth import api_scope
from civicgrid.accounts.clients import api_key_user
from civicgrid.accounts.scopes import Scope
from civicgrid.cases.choices import CaseStatus
from civicgrid.core import clock
from civicgrid.maps import layers, selectors

router = Router(tags=["map"])


class LayerQuery(Schema):
    bbox: str
    zoom: int = 14
    start: date | None = None
    end: date | None = None
    status: list[CaseStatus] | None = None
    category: str | None = None
    street: str | None = None


def viewer(request):
    """The session's user, or the account of a bearer key when one is sent (its cases only with the
    scope cases:read; without it the map is the public one)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = api_key_user(header.removeprefix("Bearer ").strip())
        if user is not None:
            return user if user.api_client.has_scope(Scope.CASES_READ) else AnonymousUser()
    return request.user


def _cache_headers(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = f"private, max-age={selectors.MAX_AGE}"
    patch_vary_headers(response, ["Cookie", "Authorization", "Accept-Language"])
    return response


@router.get("/layers")
@api_scope(Scope.PUBLIC)
def layer_catalogue(request):
    """Every layer: id, name, kind (choropleth/points/polygons/boundaries), legend, audience and
    whether the caller may load it."""
    return {"layers": selectors.catalogue(viewer(request))}


@router.get("/layers/{layer_id}")
@api_scope(Scope.PUBLIC)
def layer(request, layer_id: str, q: Query[LayerQuery]):
    """One layer as a GeoJSON FeatureCollection for `bbox=min_lon,min_lat,max_lon,max_lat`, `zoom` and the
    filters (`start`/`end` local dates, `status` repeated, `category`, `street` code). Sends an `ETag`;
    `If-None-Match` with the same tag answers 304 without computing the layer."""
    user = viewer(request)
    spec = selectors.layer_spec(layer_id, user)
    now = clock.now()
    params = selectors.parse_params(
        bbox=q.bbox,
        zoom=q.zoom,
        start=q.start,
        end=q.end,
        statuses=[str(s) for s in q.status or ()],
        category=q.category,
        street=q.street,
        now=now,
        viewer=user,
    )
    staff = selectors.is_staff_viewer(user)
    version = selectors.layer_version(spec, now)
    etag = selectors.etag_for(spec, params, version=version, staff=staff)
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return _cache_headers(HttpResponse(status=304), etag)
    body = layers.layer_geojson(spec, params, staff=staff, now=now, version=version)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        content_type="application/geo+json; charset=utf-8",
    )
    return _cache_headers(response, etag)
