"""Request ids (请求编号): one id per request, in the answer's `X-Request-ID` and in every log line
written while the request runs, so a user's complaint, the access log and the application log meet.

An id sent by the proxy in front (nginx: `proxy_set_header X-Request-ID $request_id;`) is kept when
it looks like one (8–64 letters, digits, `.`, `_`, `-`); anything else is replaced by a new one.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

request_id: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get(HEADER, "")
        rid = sent if _ACCEPTED.match(sent) else uuid.uuid4().hex
        request.request_id = rid
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    """Gives every record the current request's id (`-` outside a request) as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True
