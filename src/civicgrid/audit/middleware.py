"""Who made a model change (django-auditlog), recorded only where a signed-in person can make one;
and the log of calls made with API client keys."""

from __future__ import annotations

import json
import logging
import re
import time

from auditlog.middleware import AuditlogMiddleware as _AuditlogMiddleware

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AuditlogMiddleware(_AuditlogMiddleware):
    """django-auditlog's middleware, skipped for reads and for requests without a session user.

    It connects its signal receivers for every request it wraps, which cost more than the API's
    cheapest answer itself. A read changes no model; a request signed by an API token has no user
    when the middleware runs (the token is checked in the view), so auditlog would record no actor
    for it anyway.
    """

    def __call__(self, request):
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return self.get_response(request)
        return super().__call__(request)


class ApiCallLogMiddleware:
    """Logs every request made with an API client's key (audit.ApiCall), once the answer is ready.

    accounts.auth sets `request.api_client` (and `request.api_key`) when a key authenticated the
    request — the REST API and Open311 alike; a request without one (a browser session, an
    anonymous call, a refused key) is not logged here. One INSERT after the answer; if it fails, the
    failure is logged and the caller still gets their answer.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        client = getattr(request, "api_client", None)
        if client is not None:
            duration_ms = int((time.monotonic() - started) * 1000)
            try:
                self._record(request, response, client, duration_ms)
            except Exception:
                logger.exception("API call log: could not record %s %s", request.method, request.path)
        return response

    def _record(self, request, response, client, duration_ms: int) -> None:
        from civicgrid.audit.services import api_call_record

        key = getattr(request, "api_key", None)
        match = getattr(request, "resolver_match", None)
        api_call_record(
            client_id=client.pk,
            key_prefix=getattr(key, "prefix", "") or "",
            method=request.method,
            endpoint=route_pattern(match.route) if match is not None else request.path,
            path=request.path,
            status=response.status_code,
            duration_ms=duration_ms,
            case_number=_case_number(request, response, match),
            request_id=getattr(request, "request_id", ""),
        )


_CONVERTER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


def route_pattern(route: str) -> str:
    """Django's route (`api/cases/<number>/actions/<str:action>`) as the API writes it
    (`/api/cases/{number}/actions/{action}`)."""
    return "/" + _CONVERTER.sub(r"{\1}", route.lstrip("^").rstrip("$")).lstrip("/")


def _case_number(request, response, match) -> str:
    if match is not None:
        number = match.kwargs.get("number")
        if number:
            return str(number)
    # A case the call created: the answer's `number`.
    if (
        request.method == "POST"
        and response.status_code in (200, 201)
        and not getattr(response, "streaming", False)
        and response.get("Content-Type", "").startswith("application/json")
        and len(response.content) < 1_000_000
    ):
        try:
            body = json.loads(response.content)
        except ValueError:
            return ""
        if isinstance(body, dict) and isinstance(body.get("number"), str):
            return body["number"]
    return ""
