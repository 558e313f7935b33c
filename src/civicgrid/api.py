"""The REST API: one NinjaAPI at /api/, one Router per app, OpenAPI docs at /api/docs."""

from __future__ import annotations

import copy
import functools
import json
import re
from http import HTTPStatus

from django.db import connection
from django.http import Http404, QueryDict
from django.views.defaults import page_not_found
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import REF_TEMPLATE

from civicgrid import __version__
from civicgrid.accounts.api import router as accounts_router
from civicgrid.accounts.auth import api_scope
from civicgrid.accounts.scopes import Scope
from civicgrid.analytics.api import router as stats_router
from civicgrid.cases.api import public_router as public_cases_router
from civicgrid.cases.api import router as cases_router
from civicgrid.classifier.api import router as classifier_router
from civicgrid.codes.api import router as codes_router
from civicgrid.core.errors import DomainError
from civicgrid.core.renderers import RENDERER, json_response
from civicgrid.core.text import text_check
from civicgrid.evaluation.api import router as evaluation_router
from civicgrid.exports.api import router as exports_router
from civicgrid.gazetteer.api import router as places_router
from civicgrid.grids.api import router as grids_router
from civicgrid.hotspots.api import router as hotspots_router
from civicgrid.maps.api import router as maps_router
from civicgrid.notifications.api import router as notifications_router
from civicgrid.points.api import router as points_router
from civicgrid.replyquality.api import router as replyquality_router
from civicgrid.taxonomy.api import router as taxonomy_router
from civicgrid.webhooks.api import router as webhooks_router


class ErrorOut(Schema):
    """The body of every refusal (4xx): DomainError.as_dict(), and the validator's errors for 422."""

    error: str
    field: str | None
    message: str
    message_zh: str
    message_en: str
    detail: list[dict] | None = None


# What each refusal means, in the published document. Which operation declares which: see
# `_error_statuses`.
ERROR_RESPONSES = {
    400: "请求地址含有不允许的字符 The URL carries a character no text may hold (NUL or another control character)",
    401: "未登录或令牌无效 Not signed in, or no valid bearer token",
    403: "无权操作，或会话请求缺少 CSRF 令牌 Not allowed for this role, or a session request without its CSRF token",
    404: "对象不存在或不可见 No such object, or not visible to the caller",
    409: "对象当前状态不允许此操作 The object's current state does not allow it",
    415: "请求体应为 JSON 或表单 The body is neither JSON nor a form",
    422: "输入有误 Invalid input",
    429: "操作过于频繁或超出限额 Too many requests of this kind (uploads, SMS codes): try later",
}


def _error_statuses(method: str, operation: dict) -> list[int]:
    """The refusals an operation can answer, from what it declares: a URL with a control character
    (400, any operation), authentication (401, and 403 for a role or a missing CSRF token), a path
    parameter (404), an authenticated write (409: the object's state), a body of another type (415),
    any input (422), and the limits on writes (429: uploads, SMS codes)."""
    statuses = [400]
    authenticated = bool(operation.get("security"))
    if authenticated:
        statuses += [401, 403]
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        statuses.append(404)
    if authenticated and method == "post":
        statuses.append(409)
    if method in {"post", "put", "patch"}:
        statuses.append(415)
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.append(422)
    if method == "post":
        statuses.append(429)
    return statuses


def _hoist_defs(node, found: dict) -> None:
    """Move every schema nested in a `$defs` (a hand-written request body's model_json_schema())
    into `found`, and point its references at components, where they resolve."""
    if isinstance(node, dict):
        defs = node.pop("$defs", None)
        if defs:
            for name, schema in defs.items():
                if name in found and found[name] != schema:
                    raise ValueError(f"two different schemas are named {name!r} in the OpenAPI document")
                found[name] = schema
            _hoist_defs(defs, found)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node["$ref"] = REF_TEMPLATE.format(model=ref.removeprefix("#/$defs/"))
        for value in node.values():
            _hoist_defs(value, found)
    elif isinstance(node, list):
        for value in node:
            _hoist_defs(value, found)


class CivicgridAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document a generated client can use: every `$ref` resolves in it, and
    each operation declares its refusals with the error body (ErrorOut)."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        # An operation's openapi_extra is put in the document as it is: change copies, not the operations.
        schema["paths"] = copy.deepcopy(schema["paths"])
        schema["components"] = copy.deepcopy(schema["components"])
        components = schema["components"]["schemas"]
        nested: dict = {}
        _hoist_defs(schema["paths"], nested)
        _hoist_defs(components, nested)
        for name, definition in nested.items():
            if name in components and components[name] != definition:
                raise ValueError(f"two different schemas are named {name!r} in the OpenAPI document")
            components[name] = definition
        error_schema = ErrorOut.model_json_schema(ref_template=REF_TEMPLATE)
        components["Error"] = {**error_schema, "title": "Error"}
        error_ref = {"$ref": REF_TEMPLATE.format(model="Error")}
        # The schemes by what they are: a bearer key (with the scope an operation needs), a session.
        schemes = schema["components"].get("securitySchemes", {})
        for old, new in SCHEME_NAMES.items():
            if old in schemes:
                schemes[new] = schemes.pop(old)
        scopes = self.operation_scopes()
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                scope = scopes.get(operation.get("operationId"))
                if scope is not None:
                    operation["x-scope"] = scope
                if operation.get("security"):
                    operation["security"] = [
                        {SCHEME_NAMES.get(name, name): [scope] if name == "TokenAuth" and scope else []}
                        for requirement in operation["security"]
                        for name in requirement
                    ]
                responses = operation.setdefault("responses", {})
                for status in _error_statuses(method, operation):
                    responses.setdefault(status, {})
                # An operation declares a refusal the rules do not foresee as `response={400: None}`.
                for status, response in responses.items():
                    if 400 <= int(status) < 500 and not response.get("content"):
                        response["description"] = ERROR_RESPONSES.get(
                            int(status), HTTPStatus(int(status)).phrase
                        )
                        response["content"] = {self.renderer.media_type: {"schema": error_ref}}
        return schema

    def operation_scopes(self) -> dict[str, str]:
        """The scope each operation declares (`accounts.auth.api_scope`), by operationId."""
        found = {}
        for _prefix, router in self._routers:
            for path_view in router.path_operations.values():
                for operation in path_view.operations:
                    op_id = operation.operation_id or self.get_openapi_operation_id(operation)
                    scope = getattr(operation.view_func, "api_scope", None)
                    if scope is not None:
                        found[op_id] = str(scope)
        return found


# Ninja names a scheme after its class; the document names it after what it is.
SCHEME_NAMES = {"TokenAuth": "bearer", "SessionAuth": "session"}


api = CivicgridAPI(
    renderer=RENDERER,
    title="civicgrid API",
    version=__version__,
    description="城市精细化治理平台 REST API. Authenticate with a session (browser, CSRF) or `Authorization: Bearer <key>` of an API client; each operation's `x-scope` is the scope its key must hold.",
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


def declare_scope(run):
    """Put the scope the operation declares (`accounts.auth.api_scope`) on the request, so that the
    bearer scheme refuses a key without it as it authenticates — before the input is read, so a
    client learns what it lacks whatever it sent."""
    operation = getattr(run, "__self__", None)
    scope = getattr(getattr(operation, "view_func", None), "api_scope", None)

    @functools.wraps(run)
    def declared(request, *args, **kwargs):
        request.api_scope = scope
        return run(request, *args, **kwargs)

    return declared


# declare_scope first: it reads the operation from the method it wraps.
api.add_decorator(declare_scope, mode="view")
api.add_decorator(require_known_body, mode="view")


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


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


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if exc.status_code == 400 and exc.message.startswith("Cannot parse request body"):
        # Ninja's answer to a body it cannot parse: the answer civicgrid gives for it everywhere.
        error = DomainError("json_invalid", "请求体不是有效的 JSON", "the request body is not valid JSON")
        return on_domain_error(request, error)
    # Ninja raises it for a session request without its CSRF token (403 "CSRF check Failed").
    csrf = exc.status_code == 403 and "CSRF" in exc.message
    body = {
        "error": "csrf_failed" if csrf else HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_"),
        "field": None,
        "message": exc.message,
        "message_zh": "CSRF 校验失败，请刷新页面后重试" if csrf else exc.message,
        "message_en": "CSRF check failed: reload the page and try again" if csrf else exc.message,
    }
    return api.create_response(request, body, status=exc.status_code)


NOT_FOUND = {
    "error": "not_found",
    "field": None,
    "message": "对象不存在 / not found",
    "message_zh": "对象不存在",
    "message_en": "not found",
}


@api.exception_handler(Http404)
def on_not_found(request, exc: Http404):
    return api.create_response(request, NOT_FOUND, status=404)


def not_found(request, exception=None):
    """The site's 404 (urls.handler404): under /api/ the error body in JSON, as every API refusal —
    also for a URL no operation matches, such as a path parameter that is not a number — and the
    page elsewhere."""
    if request.path_info.startswith("/api/"):
        return json_response(request, NOT_FOUND, status=404)
    return page_not_found(request, exception)


@api.get("/health", tags=["system"])
@api_scope(Scope.PUBLIC)
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
api.add_router("/places", places_router)
api.add_router("/classifier", classifier_router)
api.add_router("/replyquality", replyquality_router)
api.add_router("/hotspots", hotspots_router)
api.add_router("/exports", exports_router)
api.add_router("/webhooks", webhooks_router)
api.add_router("/evaluation", evaluation_router)
