"""The REST API: one NinjaAPI at /api/, one Router per app, OpenAPI docs at /api/docs."""

from __future__ import annotations

import functools
import json
import re

from django.db import connection
from django.http import QueryDict
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from civicgrid import __version__
from civicgrid.accounts.api import router as accounts_router
from civicgrid.analytics.api import router as stats_router
from civicgrid.cases.api import public_router as public_cases_router
from civicgrid.cases.api import router as cases_router
from civicgrid.codes.api import router as codes_router
from civicgrid.core.errors import DomainError
from civicgrid.core.renderers import RENDERER
from civicgrid.core.text import text_check
from civicgrid.grids.api import router as grids_router
from civicgrid.maps.api import router as maps_router
from civicgrid.notifications.api import router as notifications_router
from civicgrid.points.api import router as points_router
from civicgrid.taxonomy.api import router as taxonomy_router

api = NinjaAPI(
    renderer=RENDERER,
    title="civicgrid API",
    version=__version__,
    description="城市精细化治理平台 REST API. Authenticate with a session (browser, CSRF) or `Authorization: Bearer <token>`.",
    urls_namespace="api",
)


# What a request body may be: JSON, or a form (multipart with photos, or urlencoded).
BODY_TYPES = ("application/json", "multipart/form-data", "application/x-www-form-urlencoded")


def require_known_body(run):
    """Refuse a body of another type (text/plain, XML, …) with 415 before anything reads it: a JSON
    body is only read as JSON when it says so."""

    @functools.wraps(run)
    def checked(request, *args, **kwargs):
        content_type = request.content_type or ""
        has_body = int(request.META.get("CONTENT_LENGTH") or 0) > 0
        if has_body and content_type not in BODY_TYPES and not content_type.endswith("+json"):
            body = {
                "error": "unsupported_media_type",
                "field": "Content-Type",
                "message": f"请求体应为 application/json（收到 {content_type or '无类型'}）",
                "message_zh": f"请求体应为 application/json（收到 {content_type or '无类型'}）",
                "message_en": f"send the body as application/json (got {content_type or 'no type'})",
            }
            return api.create_response(request, body, status=415)
        if has_body and content_type != "multipart/form-data":
            try:
                _check_body_text(request.body)
            except DomainError as exc:
                return api.create_response(request, exc.as_dict(), status=exc.status)
        return run(request, *args, **kwargs)

    return checked


# A JSON escape of a C0 control character or a UTF-16 surrogate, or a form's percent-encoded control.
_SUSPECT = re.compile(rb"\\u00[01][0-9a-fA-F]|\\u[dD][89a-fA-F]|%[01][0-9a-fA-F]")


def _check_body_text(raw: bytes) -> None:
    """Refuse (422 on the field) a string in the body that a database cannot hold, whatever the
    endpoint does with it (a NUL byte in a department code reached PostgreSQL as a lookup).
    Only a body with a suspect escape is parsed here; a body that does not parse is left to the
    endpoint's own parser."""
    if not _SUSPECT.search(raw):
        return
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        data = {k: v for k, v in QueryDict(raw, encoding="utf-8").lists()}

    def walk(value, field: str) -> None:
        if isinstance(value, str):
            text_check(value, field=field, strip=False)
        elif isinstance(value, dict):
            for key, item in value.items():
                text_check(str(key), field=field or "body", strip=False)
                walk(item, f"{field}.{key}" if field else str(key))
        elif isinstance(value, list):
            for item in value:
                walk(item, field)

    walk(data, "")


api.add_decorator(require_known_body, mode="view")


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "form", "payload")]
    field = ".".join(loc) or None
    reason = first.get("msg", "invalid input")
    body = {
        "error": "invalid_input",
        "field": field,
        "message": reason,
        "message_zh": f"输入有误：{field or '请求'} — {reason}",
        "message_en": f"invalid input: {field or 'request'} — {reason}",
        "detail": exc.errors,
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    body = {
        "error": "unauthenticated",
        "field": None,
        "message": "请先登录 / please sign in",
        "message_zh": "请先登录或提供有效的 API 令牌",
        "message_en": "sign in or send a valid API token",
    }
    return api.create_response(request, body, status=401)


@api.get("/health", tags=["system"])
def health(request):
    """Liveness and database reachability (the cheapest endpoint; the server's own ceiling)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "version": __version__, "database": connection.vendor}


api.add_router("/accounts", accounts_router)
api.add_router("/grids", grids_router)
api.add_router("/taxonomy", taxonomy_router)
api.add_router("/cases", cases_router)
api.add_router("/public", public_cases_router)
api.add_router("/notifications", notifications_router)
api.add_router("/points", points_router)
api.add_router("/codes", codes_router)
api.add_router("/map", maps_router)
api.add_router("/stats", stats_router)
