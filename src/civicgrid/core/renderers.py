"""How the REST API writes JSON: one renderer for the NinjaAPI (civicgrid/api.py) and for the answers
an endpoint renders itself, already in its schema's shape (cases.api._rendered).

An endpoint cannot reach the NinjaAPI object without importing the project level above it (a Router
does not know the API it is mounted on), so both render with RENDERER here, and a test compares
`json_response` with `api.create_response`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja.renderers import JSONRenderer as BaseJSONRenderer


class JSONRenderer(BaseJSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Chinese as text, not \uXXXX escapes


RENDERER = JSONRenderer()


def json_response(request: HttpRequest, data, *, status: int) -> HttpResponse:
    """The answer `api.create_response(request, data, status=status)` gives, for an API built with RENDERER."""
    content = RENDERER.render(request, data, response_status=status)
    return HttpResponse(
        content, status=status, content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}"
    )
