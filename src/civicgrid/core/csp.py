"""The Content-Security-Policy of every page (django-csp reads it from settings.CONTENT_SECURITY_POLICY).

Scripts, styles, fonts, frames and requests come from the platform's own origin only: no inline
script, no event handler attribute, no `eval`, no inline style. Images also from the configured tile
server and from `blob:` (the report form previews the photos picked on the phone before sending them).

Styles need no 'unsafe-inline': Leaflet, ECharts and htmx set styles through the CSSOM
(`element.style.x = …`), which CSP does not govern; the templates carry no `style` attribute, htmx's
indicator stylesheet is switched off (`htmx-config` in base.html) and chart tooltips are drawn on the
canvas rather than as HTML with style attributes.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from csp.middleware import CSPMiddleware as _DjangoCSPMiddleware


def tile_sources(tile_url: str) -> list[str]:
    """The CSP source of a Leaflet tile URL template: its scheme and host, `{s}` subdomains as `*`.

    "https://{s}.tile.example.org/{z}/{x}/{y}.png" → ["https://*.tile.example.org"]; a relative URL
    (tiles served by the platform itself) or none → [] ('self' covers it).
    """
    parts = urlsplit(tile_url.strip())
    if not parts.scheme or not parts.netloc:
        return []
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
    if "*" in host.lstrip("*."):
        host = host.rsplit("*", 1)[1].lstrip(".-")  # a placeholder inside the host: allow its parent domain
        host = "*." + host
    return [f"{parts.scheme}://{host}"]


def policy(*, tile_url: str) -> dict:
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF],
            "img-src": [SELF, "blob:", *tile_sources(tile_url)],
            "font-src": [SELF],
            "connect-src": [SELF],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
        },
    }


class CSPMiddleware(_DjangoCSPMiddleware):
    """django-csp's middleware, without the header on JSON answers: a browser runs no script from
    them, and building the header cost a quarter of the API's cheapest answer."""

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return super().process_response(request, response)
