"""Exports API: every case of a period the caller may see, as CSV or GeoJSON, streamed.

GET /api/exports/cases.csv and /api/exports/cases.geojson (scope `exports`); the rules are in
exports/services.py. One call covers at most 366 days (`period_too_long` otherwise).
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from ninja import Query, Router, Schema

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.scopes import Scope
from civicgrid.exports.services import MAX_API_DAYS, CaseExport, export_query

router = Router(tags=["exports"])


class CaseExportIn(Schema):
    since: str  # YYYY-MM-DD (from the start of that day) or an ISO 8601 date-time: inclusive
    until: str  # YYYY-MM-DD (to the end of that day, included) or an ISO 8601 date-time: exclusive
    category: str | None = None  # "06010" or "matter:06010"
    department: str | None = None  # department code
    street: str | None = None  # street code
    status: list[str] | None = None  # repeat, or separate by commas: status=closed&status=handled


def _export(request, params: CaseExportIn, fmt: str) -> StreamingHttpResponse:
    statuses = [s for value in params.status or () for s in value.split(",")]
    query = export_query(
        since=params.since,
        until=params.until,
        category=params.category,
        department=params.department,
        street=params.street,
        status=statuses,
        max_days=MAX_API_DAYS,
    )
    export = CaseExport(viewer=request.auth, query=query, fmt=fmt, via="api", request=request)
    response = StreamingHttpResponse(iter(export), content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


CSV_DOC = {"responses": {200: {"description": "CSV (UTF-8 with BOM)", "content": {"text/csv": {}}}}}
GEOJSON_DOC = {
    "responses": {200: {"description": "GeoJSON FeatureCollection", "content": {"application/geo+json": {}}}}
}


@router.get("/cases.csv", auth=AUTH, openapi_extra=CSV_DOC)
@api_scope(Scope.EXPORTS)
def cases_csv(request, params: Query[CaseExportIn]):
    """The cases reported in [since, until) the caller may see, as CSV (UTF-8 with BOM), streamed.

    Columns: number, status, kind, channel, category, urgency, department, street, community, cell,
    address, lat/lon (WGS-84), description, reported/registered/dispatched/closed times (local),
    on_time (处置按时), rating, reporter_name and contact_phone (masked unless the caller's role may see
    personal data and its key holds `cases:read:personal`). At most 366 days per call."""
    return _export(request, params, "csv")


@router.get("/cases.geojson", auth=AUTH, openapi_extra=GEOJSON_DOC)
@api_scope(Scope.EXPORTS)
def cases_geojson(request, params: Query[CaseExportIn]):
    """The same cases as one GeoJSON FeatureCollection (RFC 7946: WGS-84, [lon, lat]), streamed."""
    return _export(request, params, "geojson")
