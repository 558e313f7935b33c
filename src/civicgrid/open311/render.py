"""GeoReport v2 answers in XML and JSON (the spec's "Spark convention": a container of one repeated
child is an array in JSON, even with one item; the XML names each item by the singular tag).

Values: strings as given, numbers as numbers in JSON and text in XML, booleans `true`/`false`,
datetimes W3C with the city's offset (2026-03-01T08:30:00+08:00), None as null / an empty element.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
FORMATS = {"xml": XML_TYPE, "json": JSON_TYPE}

# The tag of one item of each list.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_request_updates": "request_update",
    "photos": "photo",
    "notes": "note",
    "groups": "group",
}


@functools.cache
def _city_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def w3c(value: datetime | None) -> str | None:
    """In the city's time zone (settings.TIME_ZONE), not a visitor's: a thousand of them per answer,
    so the zone is looked up once, not per value as timezone.localtime() does."""
    if value is None:
        return None
    return value.astimezone(_city_zone(settings.TIME_ZONE)).isoformat(timespec="seconds")


def _scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value) or ""
    return str(value)


def _xml(tag: str, value, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append(f"<{tag}>")
        for key, child in value.items():
            _xml(key, child, out)
        out.append(f"</{tag}>")
    elif isinstance(value, list):
        item = ITEM_TAGS.get(tag, "item")
        out.append(f"<{tag}>")
        for child in value:
            _xml(item, child, out)
        out.append(f"</{tag}>")
    elif value is None:
        out.append(f"<{tag}/>")
    else:
        out.append(f"<{tag}>{escape(_scalar(value))}</{tag}>")


def to_xml(root: str, value, extra: dict | None = None) -> str:
    """`extra`: elements after a list's items (the `meta` of extensions=true)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>']
    _xml(root, value, out)
    if extra:
        closing = out.pop()
        for key, child in extra.items():
            _xml(key, child, out)
        out.append(closing)
    return out[0] + "\n" + "".join(out[1:]) + "\n"


def _json_default(value):
    if isinstance(value, datetime):
        return w3c(value)
    raise TypeError(type(value).__name__)


def to_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def answer(fmt: str, root: str, value, *, status: int = 200, json_value=None, xml_extra=None) -> HttpResponse:
    """`value` under `root` in XML; in JSON the value itself (a list for a list root), or `json_value`."""
    if fmt == "json":
        body = to_json(value if json_value is None else json_value)
    else:
        body = to_xml(root, value, xml_extra)
    return HttpResponse(body.encode("utf-8"), status=status, content_type=FORMATS[fmt])


def errors(fmt: str, status: int, items: list[tuple[str | int, str]]) -> HttpResponse:
    """The spec's error list: [{"code", "description"}] / <errors><error><code/><description/>."""
    value = [{"code": code, "description": description} for code, description in items]
    return answer(fmt, "errors", value, status=status)
