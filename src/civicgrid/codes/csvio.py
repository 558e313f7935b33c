"""Creating code entities from flat rows: one API body or one CSV line per entity.

Columns per kind (people are given by phone; an unknown phone gets a citizen account, which its
owner later signs in to with an SMS code; `*_name` fills in the real name of a new account):

    household: community, building, unit, room, residents ("phone;phone"), lat, lon
    place:     name, category (5-digit component code), component_code (17 digits), lat, lon, address
    merchant:  name, address, lat, lon, owner, owner_name, license_no, area (GeoJSON polygon), grade
    stall:     vendor, vendor_name, goods, zone (GeoJSON polygon), hours_start, hours_end (HH:MM)
    ebike:     plate, owner, owner_name

A CSV import is all or nothing: every line is checked, and the errors name their line numbers.
"""

from __future__ import annotations

import csv
import io

from django.db import transaction

from civicgrid.accounts.models import User
from civicgrid.accounts.services import user_create
from civicgrid.codes import services
from civicgrid.codes.choices import CodeKind, Grade
from civicgrid.codes.models import Code
from civicgrid.codes.validation import parse_float, parse_polygon, parse_time, require
from civicgrid.core.errors import DomainError
from civicgrid.grids.models import Community
from civicgrid.taxonomy.models import Category

COLUMNS: dict[str, list[str]] = {
    CodeKind.HOUSEHOLD: ["community", "building", "unit", "room", "residents", "lat", "lon"],
    CodeKind.PLACE: ["name", "category", "component_code", "lat", "lon", "address"],
    CodeKind.MERCHANT: [
        "name",
        "address",
        "lat",
        "lon",
        "owner",
        "owner_name",
        "license_no",
        "area",
        "grade",
    ],
    CodeKind.STALL: ["vendor", "vendor_name", "goods", "zone", "hours_start", "hours_end"],
    CodeKind.EBIKE: ["plate", "owner", "owner_name"],
}
REQUIRED: dict[str, set[str]] = {
    CodeKind.HOUSEHOLD: {"community", "building", "room"},
    CodeKind.PLACE: {"name", "component_code", "lat", "lon"},
    CodeKind.MERCHANT: {"name", "address", "lat", "lon"},
    CodeKind.STALL: {"vendor", "goods", "zone", "hours_start", "hours_end"},
    CodeKind.EBIKE: {"plate", "owner"},
}


def person_by_phone(phone: str, *, name: str = "", field: str) -> User:
    phone = phone.strip()
    user = User.objects.filter(phone=phone).first()
    if user is not None:
        return user
    try:
        return user_create(phone=phone, real_name=name.strip())
    except Exception as exc:  # django ValidationError from the phone validator
        raise DomainError(
            "phone_invalid", f"手机号无效：{phone}", f"invalid phone number: {phone}", field=field
        ) from exc


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value).strip()


def create_from_data(*, kind: str, data: dict, actor: User | None) -> Code:
    """Create one entity and its code from a flat dict (strings, or GeoJSON dicts for polygons)."""
    if kind not in CodeKind.values:
        raise DomainError(
            "kind_invalid", f"未知的码类型 {kind!r}", f"unknown code kind {kind!r}", field="kind"
        )
    for key in sorted(REQUIRED[kind]):
        require(data, key)
    if kind == CodeKind.HOUSEHOLD:
        community = Community.objects.filter(code=_text(data, "community")).first()
        if community is None:
            raise DomainError(
                "community_unknown",
                f"未知的社区编码 {_text(data, 'community')}",
                f"unknown community code {_text(data, 'community')}",
                field="community",
            )
        phones = [p for p in _text(data, "residents").replace(",", ";").split(";") if p.strip()]
        return services.household_create(
            community=community,
            building=_text(data, "building"),
            unit=_text(data, "unit"),
            room=_text(data, "room"),
            residents=[person_by_phone(p, field="residents") for p in phones],
            lat=parse_float(data.get("lat"), field="lat", required=False),
            lon=parse_float(data.get("lon"), field="lon", required=False),
            actor=actor,
        )
    if kind == CodeKind.PLACE:
        component_code = _text(data, "component_code")
        cat_code = _text(data, "category") or component_code[6:11]
        category = Category.objects.filter(kind="component", code=cat_code).first()
        if category is None:
            raise DomainError(
                "category_unknown",
                f"未知的部件类别 {cat_code}",
                f"unknown component category {cat_code}",
                field="category",
            )
        return services.place_create(
            name=_text(data, "name"),
            category=category,
            component_code=component_code,
            lat=parse_float(data.get("lat"), field="lat"),
            lon=parse_float(data.get("lon"), field="lon"),
            address=_text(data, "address"),
            actor=actor,
        )
    if kind == CodeKind.MERCHANT:
        grade = _text(data, "grade").upper()
        if grade and grade not in Grade.values:
            raise DomainError("grade_invalid", "等级应为 A/B/C/D", "the grade is A, B, C or D", field="grade")
        owner = (
            person_by_phone(_text(data, "owner"), name=_text(data, "owner_name"), field="owner")
            if _text(data, "owner")
            else None
        )
        area = parse_polygon(data["area"], field="area") if data.get("area") else None
        return services.merchant_create(
            name=_text(data, "name"),
            address=_text(data, "address"),
            lat=parse_float(data.get("lat"), field="lat"),
            lon=parse_float(data.get("lon"), field="lon"),
            owner=owner,
            license_no=_text(data, "license_no"),
            area=area,
            grade=grade,
            actor=actor,
        )
    if kind == CodeKind.STALL:
        return services.stall_create(
            vendor=person_by_phone(_text(data, "vendor"), name=_text(data, "vendor_name"), field="vendor"),
            goods=_text(data, "goods"),
            zone=parse_polygon(data["zone"], field="zone"),
            hours_start=parse_time(data["hours_start"], field="hours_start"),
            hours_end=parse_time(data["hours_end"], field="hours_end"),
            actor=actor,
        )
    return services.ebike_create(
        plate=_text(data, "plate"),
        owner=person_by_phone(_text(data, "owner"), name=_text(data, "owner_name"), field="owner"),
        actor=actor,
    )


def codes_import(*, kind: str, text: str, actor: User | None) -> list[Code]:
    """Import a CSV (header row with the kind's columns); nothing is saved unless every line is valid."""
    if kind not in CodeKind.values:
        raise DomainError(
            "kind_invalid", f"未知的码类型 {kind!r}", f"unknown code kind {kind!r}", field="kind"
        )
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = REQUIRED[kind] - set(reader.fieldnames or [])
    if missing:
        cols = ", ".join(sorted(missing))
        raise DomainError(
            "csv_columns", f"CSV 缺少列：{cols}", f"the CSV lacks the columns: {cols}", field="file"
        )
    errors: list[str] = []
    created: list[Code] = []
    with transaction.atomic():
        for lineno, row in enumerate(reader, start=2):
            try:
                with transaction.atomic():
                    created.append(create_from_data(kind=kind, data=row, actor=actor))
            except DomainError as err:
                where = f" [{err.field}]" if err.field else ""
                errors.append(f"第 {lineno} 行 line {lineno}{where}: {err.message_zh} / {err.message_en}")
        if errors:
            message = "\n".join(errors)
            transaction.set_rollback(True)
            raise DomainError(
                "csv_invalid",
                "CSV 导入失败，未保存任何数据：\n" + message,
                "CSV import failed, nothing was saved:\n" + message,
                field="file",
            )
    return created
