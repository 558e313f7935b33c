"""An Open311 POST becomes a case through the intake like any other report (cases.intake.case_submit):
channel `open311`, reported by the client's account, with the intake's rules (checks, duplicates,
routing). Beside the case an `Open311Request` keeps the client's token, its own id, the attribute
answers and the `media_url` link (never fetched: a server that fetches URLs given to it can be made
to reach inside the network)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from civicgrid.accounts.models import ApiClient, User
from civicgrid.cases.choices import Channel
from civicgrid.cases.intake import Outcome, Submission, case_submit
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.core.text import phone_check
from civicgrid.open311.models import Datatype, Open311Attribute, Open311Request
from civicgrid.open311.selectors import attributes_of, bad, service_by_code

CLIENT_ID_MAX = 64
KEY_PREFIX = "o311:"
W3C_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$")
_ATTRIBUTE_RE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


@dataclass
class Posted:
    """A POST's fields, parsed; unknown fields are not kept."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    description: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    media_url: str = ""
    device_id: str = ""
    client_request_id: str = ""
    attributes: dict[str, str | list[str]] = field(default_factory=dict)


def posted_from(data) -> Posted:
    """From a QueryDict of the form body (`attribute[code]`, `attribute[code][]` repeated)."""
    p = Posted()
    for name in ("service_code", "lat", "long", "address_string", "address_id", "description"):
        setattr(p, name, (data.get(name) or "").strip())
    for name in ("first_name", "last_name", "phone", "media_url", "client_request_id"):
        setattr(p, name, (data.get(name) or "").strip())
    p.device_id = (data.get("device_id") or data.get("deviceid") or "").strip()
    for key in data:
        m = _ATTRIBUTE_RE.match(key)
        if m:
            code, values = m.group(1), [v.strip() for v in data.getlist(key)]
            before = p.attributes.get(code)
            if before is not None:  # both `attribute[c]` and `attribute[c][]`: one list
                values = (before if isinstance(before, list) else [before]) + values
            p.attributes[code] = values if (m.group(2) or len(values) > 1) else (values[0] if values else "")
    return p


def _number(value: str, code: str) -> str:
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise bad("attribute_invalid", f"属性 {code} 应为数字", f"attribute {code} must be a number", code)
    return value


def attributes_check(definition: list[Open311Attribute], given: dict[str, str | list[str]]) -> dict:
    """The answers checked against the definition: a required one present, a number a number, a
    datetime W3C, a list value among the keys. Answers to codes the definition does not ask (a client's
    own extras, e.g. FixMyStreet's fixmystreet_id, closest_address) are kept as sent."""
    out = dict(given)
    for attribute in definition:
        if not attribute.variable:
            out.pop(attribute.code, None)
            continue
        value = given.get(attribute.code)
        values = value if isinstance(value, list) else ([value] if value else [])
        values = [v for v in values if v]
        if not values:
            if attribute.required:
                raise bad(
                    "attribute_required",
                    f"缺少必填属性 attribute[{attribute.code}]（{attribute.description}）",
                    f"the required attribute attribute[{attribute.code}] is missing ({attribute.description})",
                    attribute.code,
                )
            out.pop(attribute.code, None)
            continue
        code = attribute.code
        if attribute.datatype == Datatype.MULTIVALUELIST:
            wrong = [v for v in values if v not in attribute.value_keys()]
            if wrong:
                raise bad(
                    "attribute_invalid",
                    f"属性 {code} 的值 {', '.join(wrong)} 不在可选值中",
                    f"attribute {code}: {', '.join(wrong)} not among its values",
                    code,
                )
            out[code] = values
            continue
        if len(values) > 1:
            raise bad(
                "attribute_invalid", f"属性 {code} 只能有一个值", f"attribute {code} takes one value", code
            )
        single = values[0]
        if attribute.datatype == Datatype.SINGLEVALUELIST and single not in attribute.value_keys():
            raise bad(
                "attribute_invalid",
                f"属性 {code} 的值 {single} 不在可选值中",
                f"attribute {code}: {single} is not among its values",
                code,
            )
        if attribute.datatype == Datatype.NUMBER:
            _number(single, code)
        if attribute.datatype == Datatype.DATETIME and not W3C_RE.match(single):
            raise bad(
                "attribute_invalid",
                f"属性 {code} 应为带时区的日期时间（如 2026-03-01T08:30:00+08:00）",
                f"attribute {code} must be a W3C datetime with a time zone (2026-03-01T08:30:00+08:00)",
                code,
            )
        if attribute.datatype == Datatype.STRING and len(single) > 200:
            raise bad(
                "attribute_invalid",
                f"属性 {code} 最多 200 字",
                f"attribute {code}: at most 200 characters",
                code,
            )
        if len(single) > 2000:
            raise bad(
                "attribute_invalid",
                f"属性 {code} 最多 2000 字",
                f"attribute {code}: at most 2000 characters",
                code,
            )
        out[code] = single
    return out


def _coordinate(value: str, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not (low <= number <= high):
        raise bad("location_invalid", f"{name} 不是有效的坐标", f"{name} is not a valid coordinate", name)
    return number


def geocode(address: str) -> tuple[float, float, str]:
    """An address to a point through the city's gazetteer (a place whose name or address is the text,
    else one whose name it contains); 400 when the gazetteer does not know it. The gazetteer app sits
    above this one, so its model is looked up by name, not imported."""
    try:
        place_model = apps.get_model("gazetteer", "Place")
    except LookupError:
        place_model = None
    place = None
    if place_model is not None and address:
        base = place_model.objects.order_by("id")
        place = (
            base.filter(name=address).first()
            or base.filter(address=address).first()
            or base.filter(name__contains=address).first()
        )
    if place is None:
        raise bad(
            "address_not_found",
            f"无法定位地址“{address}”，请改用 lat/long 坐标",
            f"the address {address!r} could not be located: send lat and long instead",
            "address_string",
        )
    return place.lat, place.lon, place.address or place.name


def location_of(p: Posted) -> tuple[float, float, str]:
    if p.lat or p.long:
        if not (p.lat and p.long):
            raise bad("location_required", "lat 与 long 须同时提供", "lat and long go together", "lat")
        return _coordinate(p.lat, "lat", -90, 90), _coordinate(p.long, "long", -180, 180), p.address_string
    if p.address_string:
        return geocode(p.address_string)
    raise bad(
        "location_required",
        "缺少位置：请提供 lat 与 long，或 address_string",
        "a location is required: lat and long, or address_string",
        "lat",
    )


def client_request_id_of(p: Posted, header: str | None) -> str:
    raw = p.attributes.get("fixmystreet_id") or p.client_request_id or (header or "")
    raw = (raw[-1] if isinstance(raw, list) and raw else raw) or ""
    raw = str(raw).strip()
    if len(raw) > CLIENT_ID_MAX or any(not ch.isprintable() for ch in raw):
        raise bad(
            "client_request_id_invalid",
            f"请求编号最多 {CLIENT_ID_MAX} 个可见字符",
            f"the client's request id has at most {CLIENT_ID_MAX} visible characters",
            "client_request_id",
        )
    return raw


def _media_url(value: str) -> str:
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError as exc:
        raise bad(
            "media_url_invalid",
            "media_url 不是有效的网址",
            "media_url is not a valid http(s) URL",
            "media_url",
        ) from exc
    if len(value) > 1000:
        raise bad("media_url_invalid", "media_url 过长", "media_url is too long", "media_url")
    return value


def _phone(value: str) -> str:
    """A phone the intake accepts, else none (a phone is never required)."""
    try:
        return phone_check(value, field="phone")
    except DomainError:
        return ""


@dataclass(frozen=True)
class Created:
    number: str
    token: str
    outcome: str
    original: str | None  # the case a duplicate was merged into


def open311_request_submit(
    *,
    client: ApiClient,
    reporter: User,
    posted: Posted,
    idempotency_header: str | None = None,
    now: datetime | None = None,
) -> Created:
    """Check the POST, make the case (or return the one a retry made) and keep the Open311 record."""
    if not posted.service_code:
        raise bad("service_code_required", "缺少 service_code", "service_code is required", "service_code")
    category = service_by_code(posted.service_code)
    answers = attributes_check(attributes_of(category), posted.attributes)
    lat, lon, address = location_of(posted)
    client_id = client_request_id_of(posted, idempotency_header)
    media_url = _media_url(posted.media_url)
    name = " ".join(part for part in (posted.last_name, posted.first_name) if part)[:40]
    submission = Submission(
        description=posted.description or category.name,
        lat=lat,
        lon=lon,
        channel=Channel.OPEN311,
        category=category,
        address=(address or "")[:200],
        contact_name=name,
        contact_phone=_phone(posted.phone),
        source_ref=client_id,
    )
    key = f"{KEY_PREFIX}c{client.pk}:{client_id}" if client_id else None
    record = Open311Request(
        client=client,
        token=secrets.token_urlsafe(18),
        client_request_id=client_id,
        attributes=answers,
        media_url=media_url,
        device_id=posted.device_id[:100],
        created_at=now or clock.now(),
    )
    try:
        # The record is written with the case, in its statement and transaction (reportstore).
        result = case_submit(reporter=reporter, submission=submission, idempotency_key=key, beside=[record])
    except DomainError as exc:
        if exc.code == "idempotency_key_reused":
            raise bad(
                "request_id_reused",
                f"请求编号 {client_id} 已用于内容不同的另一件请求",
                f"the request id {client_id} came with a different request",
                "client_request_id",
            ) from exc
        raise
    case = result.case
    if result.outcome == Outcome.REPLAYED:  # the first request's record, written with its case
        found = Open311Request.objects.filter(case_id=case.pk).first()
        if found is None:
            record.case = case
            record.save(force_insert=True)
        else:
            record = found
    original = None
    if result.outcome == Outcome.MERGED and case.duplicate_of_id:
        original = case.duplicate_of.number  # the open case the intake found, read with its number
    return Created(number=case.number, token=record.token, outcome=str(result.outcome), original=original)


def token_lookup(token: str) -> str:
    number = Open311Request.objects.filter(token=token).values_list("case__number", flat=True).first()
    if not number:
        raise bad("token_not_found", f"令牌 {token} 不存在", f"token {token} not found", "token", 404)
    return number
