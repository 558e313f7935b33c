"""GeoReport v2 endpoints (/open311/v2/…{.xml,.json}) and FixMyStreet's servicerequestupdates.

Plain Django views: the answers are the spec's XML and JSON (render.py), not the REST API's shapes.
Errors are the spec's list with the matching HTTP status: 400 bad input, 403 key, 404 unknown
service, request, token or jurisdiction; descriptions "中文 / English".
"""

from __future__ import annotations

import functools
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from civicgrid.accounts.clients import api_key_authenticate, api_rate_check
from civicgrid.accounts.scopes import Scope
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.open311 import selectors as sel
from civicgrid.open311.render import FORMATS, answer, errors
from civicgrid.open311.services import open311_request_submit, posted_from, token_lookup

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def jurisdiction() -> str:
    return getattr(settings, "CIVICGRID_OPEN311_JURISDICTION", "")


def endpoint_url() -> str:
    return settings.SITE_URL.rstrip("/") + "/open311/v2"


def _language(request: HttpRequest) -> str:
    wanted = (request.GET.get("locale") or request.POST.get("locale") or "").strip().lower()
    if wanted:
        return "en" if wanted.startswith("en") else "zh-hans"
    return "en" if (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en") else "zh-hans"


def endpoint(view):
    """The format from the suffix, the jurisdiction check, the answer's language, and DomainError as
    the spec's error list."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
        if fmt not in FORMATS:
            return errors("xml", 404, [(404, f"未知的格式 {fmt} / unknown format {fmt}")])
        try:
            wanted = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
            configured = jurisdiction()
            if configured and wanted and wanted != configured:
                raise sel.bad(
                    "jurisdiction_unknown",
                    f"未知的辖区 {wanted}",
                    f"unknown jurisdiction_id {wanted}",
                    "jurisdiction_id",
                    404,
                )
            with translation.override(_language(request)):
                return view(request, *args, fmt=fmt, **kwargs)
        except DomainError as exc:
            status = exc.status if exc.status in (400, 403, 404, 429) else 400
            response = errors(fmt, status, [(status, f"{exc.message_zh} / {exc.message_en}")])
            for name, value in exc.headers.items():  # Retry-After of a 429
                response[name] = value
            return response

    return wrapped


# --- discovery and services --------------------------------------------------------------------------


@require_GET
@endpoint
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    changeset = sel.changeset()
    value = {
        "changeset": changeset,
        "contact": getattr(
            settings, "CIVICGRID_OPEN311_CONTACT", "城市服务指挥中心 12345 / City service centre 12345"
        ),
        "key_service": getattr(
            settings,
            "CIVICGRID_OPEN311_KEY_SERVICE",
            "向城市服务指挥中心申请接入系统与 API 密钥 / ask the city service centre for an API client and key",
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url(),
                "changeset": changeset,
                "type": "production",
                "formats": list(FORMATS.values()),
            }
        ],
    }
    return answer(fmt, "discovery", value)


@require_GET
@endpoint
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    value = [
        {
            "service_code": code,
            "service_name": category.name,
            "description": f"{category.major_name} · {category.name}",
            "metadata": has_definition,
            "type": "realtime",
            "keywords": ",".join(category.keywords.split()) if category.keywords else None,
            "group": category.major_name or None,
        }
        for category, code, has_definition in sel.service_list()
    ]
    return answer(fmt, "services", value)


@require_GET
@endpoint
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    category = sel.service_by_code(code)
    value = {
        "service_code": sel.service_codes().get(category.pk, code),
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description or None,
                "order": position,
                "description": a.description,
                **(
                    {
                        "values": [
                            {"key": str(v.get("key")), "name": str(v.get("name", v.get("key")))}
                            for v in a.values
                        ]
                    }
                    if a.datatype in ("singlevaluelist", "multivaluelist")
                    else {}
                ),
            }
            for position, a in enumerate(sel.attributes_of(category), start=1)
        ],
    }
    return answer(fmt, "service_definition", value)


# --- requests ----------------------------------------------------------------------------------------


def _date(request: HttpRequest, name: str) -> datetime | None:
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    value = parse_datetime(raw.replace(" ", "+"))
    if value is None or value.tzinfo is None:
        raise sel.bad(
            "date_invalid",
            f"{name} 应为带时区的 W3C 日期时间（如 2026-03-01T00:00:00+08:00）",
            f"{name} must be a W3C datetime with a time zone (2026-03-01T00:00:00+08:00)",
            name,
        )
    return value


def _int(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not (low <= value <= high):
        raise sel.bad(
            "parameter_invalid",
            f"{name} 应为 {low}–{high} 的整数",
            f"{name} must be an integer {low}–{high}",
            name,
        )
    return value


def _list(request: HttpRequest, name: str) -> list[str]:
    return [part.strip() for part in (request.GET.get(name) or "").split(",") if part.strip()]


def _floats(raw: str, name: str, count: int) -> list[float]:
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        values = []
    if len(values) != count or any(v != v or v in (float("inf"), float("-inf")) for v in values):
        raise sel.bad("parameter_invalid", f"{name} 格式不正确", f"{name} is malformed", name)
    return values


def _query(request: HttpRequest) -> sel.Query:
    categories = None
    codes = _list(request, "service_code")
    if codes:
        categories = [sel.service_by_code(code).pk for code in codes]
    status = (request.GET.get("status") or "").strip().lower()
    statuses = {s for s in status.split(",") if s}
    if statuses - {"open", "closed"}:
        raise sel.bad(
            "status_invalid", "status 应为 open 或 closed", "status must be open or closed", "status"
        )
    q = sel.Query(
        ids=_list(request, "service_request_id"),
        categories=categories,
        status=statuses.pop() if len(statuses) == 1 else "",
        start=_date(request, "start_date"),
        end=_date(request, "end_date"),
        page=_int(request, "page", 1, 1, 1_000_000),
        page_size=_int(request, "page_size", sel.MAX_REQUESTS, 1, sel.MAX_REQUESTS),
    )
    bbox = (request.GET.get("bbox") or "").strip()
    if bbox:
        min_lon, min_lat, max_lon, max_lat = _floats(bbox, "bbox", 4)
        if min_lon > max_lon or min_lat > max_lat:
            raise sel.bad(
                "parameter_invalid", "bbox 的最小值大于最大值", "bbox: a minimum above its maximum", "bbox"
            )
        q.bbox = (min_lon, min_lat, max_lon, max_lat)
    lat, lon = (request.GET.get("lat") or "").strip(), (request.GET.get("long") or "").strip()
    if lat or lon:
        lat_v, lon_v = _floats(f"{lat},{lon}", "lat/long", 2)
        radius = _floats((request.GET.get("radius") or "").strip() or "500", "radius", 1)[0]
        if not (0 < radius <= 50_000):
            raise sel.bad("parameter_invalid", "radius 应为 0–50000 米", "radius must be 0–50000 m", "radius")
        q.near = (lat_v, lon_v, radius)
    return q


def request_out(row: dict, codes: dict[int, str], photos: dict, notes: dict | None) -> dict:
    """One case as the public may read it (publication rules: no personal data)."""
    status = row["status"]
    item = {
        "service_request_id": row["number"],
        "status": sel.open_or_closed(status),
        "status_notes": sel.status_label(status),
        "service_name": row["category__name"],
        "service_code": codes.get(row["category_id"], "") if row["category_id"] else "",
        "description": sel.row_text(row),
        "agency_responsible": row["department__name"],
        "service_notice": None,
        "requested_datetime": row["created_at"],
        "updated_datetime": sel.updated_at(row),
        "expected_datetime": row["due_at"] if sel.open_or_closed(status) == "open" else None,
        "address": row["address"] or None,
        "address_id": None,
        "zipcode": None,
        "lat": round(row["lat"], 4),
        "long": round(row["lon"], 4),
        "media_url": (photos.get(row["id"]) or [None])[0],
    }
    if notes is not None:
        item["extended_attributes"] = {
            "channel": row["channel"],
            "detailed_status": status,
            "detailed_status_label": sel.status_label(status),
        }
        item["photos"] = [{"media_url": url} for url in photos.get(row["id"], [])]
        item["notes"] = notes.get(row["id"], [])
    return item


def _requests_answer(
    fmt: str, rows: list[dict], *, extensions: bool, total: int | None = None
) -> HttpResponse:
    codes = sel.service_codes_for(rows)
    ids = [row["id"] for row in rows]
    photos = sel.photos_of(ids)
    notes = sel.notes_of(ids) if extensions else None
    items = [request_out(row, codes, photos, notes) for row in rows]
    if not extensions:
        return answer(fmt, "service_requests", items)
    if fmt == "json":
        return answer(
            fmt, "service_requests", items, json_value={"service_requests": items, "meta": {"total": total}}
        )
    return answer(fmt, "service_requests", items, xml_extra={"meta": {"total": total}})


def _flag(request: HttpRequest, name: str) -> bool:
    return (request.GET.get(name) or "").strip().lower() in ("true", "1", "yes")


@csrf_exempt
@require_http_methods(["GET", "POST"])
@endpoint
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post(request, fmt)
    now = clock.now()
    q = _query(request)
    rows = sel.request_rows(q, now)
    extensions = _flag(request, "extensions")
    total = sel.request_count(q, now) if extensions else None
    return _requests_answer(fmt, rows, extensions=extensions, total=total)


@require_GET
@endpoint
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    row = sel.public_request(number)
    return _requests_answer(fmt, [row], extensions=_flag(request, "extensions"), total=1)


def _caller(raw: str | None, *, required: bool):
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise sel.bad("api_key_required", "缺少 api_key", "api_key is required", "api_key", 403)
        return None
    caller = api_key_authenticate(raw)
    if caller is None:
        raise sel.bad(
            "api_key_invalid", "api_key 无效或已失效", "api_key is invalid or expired", "api_key", 403
        )
    if str(Scope.OPEN311) not in (caller.client.scopes or []):
        raise sel.bad(
            "scope_missing", "该密钥未获授权使用 Open311 接口", "the key has no open311 scope", "api_key", 403
        )
    api_rate_check(client=caller.client)  # the client's calls a minute, as on /api/ (429 with Retry-After)
    return caller


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    caller = _caller(request.POST.get("api_key"), required=True)
    request.api_client = caller.client  # the call log records the client's calls
    created = open311_request_submit(
        client=caller.client,
        reporter=caller.user,
        posted=posted_from(request.POST),
        idempotency_header=request.headers.get("Idempotency-Key"),
    )
    item = {"service_request_id": created.number}
    if created.original:
        item["service_notice"] = (
            f"与案件 {created.original} 为同一问题，已并案 / the same problem as request {created.original}: merged"
        )
    return answer(fmt, "service_requests", [item], status=201 if created.outcome != "replayed" else 200)


@require_GET
@endpoint
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    number = token_lookup(token)
    return answer(fmt, "service_requests", [{"service_request_id": number, "token": token}])


# --- FixMyStreet: servicerequestupdates ---------------------------------------------------------------


@require_GET
@endpoint
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    caller = _caller(request.GET.get("api_key"), required=False)
    if caller is not None:
        request.api_client = caller.client
    now = clock.now()
    start, end = _date(request, "start_date"), _date(request, "end_date")
    if start is None and end is None:
        start = now - sel.UPDATES_DEFAULT
    start, end = sel.window(start, end, now)
    value = [
        {
            "update_id": str(row["id"]),
            "service_request_id": row["case__number"],
            "status": sel.open_or_closed(row["to_status"]),
            "updated_datetime": row["created_at"],
            "description": f"{sel.action_label(row['action'])}：{sel.status_label(row['to_status'])}",
            "media_url": "",
            "external_status_code": row["to_status"],
        }
        for row in sel.update_rows(start, end)
    ]
    return answer(fmt, "service_request_updates", value)
