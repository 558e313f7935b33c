"""Parsing and checking the inputs of code entities (shared by admin, API and CSV import)."""

from __future__ import annotations

import json
import re
from datetime import time

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import shape as to_shape

from civicgrid.core.errors import DomainError
from civicgrid.grids.models import District

COMPONENT_CODE = re.compile(r"^(\d{6})(\d{5})(\d{6})$")


def check_component_code(code: str, category) -> None:
    """部件标识码 = 6 行政区划 (a known district) + 5 类别 (the category's code) + 6 顺序码.

    Raises django's ValidationError (admin forms show it on the field).
    """
    m = COMPONENT_CODE.match(code or "")
    if not m:
        raise ValidationError({"component_code": _("部件标识码应为 17 位数字")})
    district, cat, _seq = m.groups()
    if not District.objects.filter(code=district).exists():
        raise ValidationError(
            {"component_code": _("前 6 位 %(district)s 不是本系统的区县代码") % {"district": district}}
        )
    if category is not None and cat != category.code:
        raise ValidationError(
            {
                "component_code": _(
                    "第 7–11 位 %(cat)s 应与部件类别 %(category)s 一致 "
                    "(digits 7–11 must be the category code)."
                )
                % {"cat": cat, "category": category.code}
            }
        )
    if category is not None and category.kind != "component":
        raise ValidationError({"category": _("只能选择管理部件类别")})


def as_domain_error(err: ValidationError) -> DomainError:
    """The first message of a django ValidationError as a DomainError on its field."""
    if hasattr(err, "error_dict"):
        field, errors = next(iter(err.error_dict.items()))
        message = " ".join(m for e in errors for m in e.messages)
    else:
        field, message = None, " ".join(err.messages)
    field = None if field == "__all__" else field
    return DomainError("invalid", message, message, field=field)


def parse_polygon(raw: object, *, field: str) -> shapely.Geometry:
    """A GeoJSON Polygon/MultiPolygon (dict or JSON text, WGS-84 lon/lat) → a valid shapely geometry."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = data.get("geometry")
        geom = to_shape(data)
    except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.GEOSException) as exc:
        raise DomainError(
            "polygon_invalid", "区域应为 GeoJSON 多边形", "the area must be a GeoJSON polygon", field=field
        ) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty or not geom.is_valid:
        raise DomainError(
            "polygon_invalid",
            "区域应为有效的 GeoJSON 多边形",
            "the area must be a valid GeoJSON polygon",
            field=field,
        )
    return geom


def parse_time(raw: object, *, field: str) -> time:
    if isinstance(raw, time):
        return raw
    try:
        return time.fromisoformat(str(raw).strip())
    except ValueError as exc:
        raise DomainError(
            "time_invalid", f"时间格式应为 HH:MM：{raw!r}", f"times are HH:MM: {raw!r}", field=field
        ) from exc


def parse_float(raw: object, *, field: str, required: bool = True) -> float | None:
    if raw in (None, ""):
        if required:
            raise DomainError("required", f"{field} 必填", f"{field} is required", field=field)
        return None
    try:
        return float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise DomainError(
            "number_invalid", f"{field} 应为数字", f"{field} must be a number", field=field
        ) from exc


def require(data: dict, key: str) -> str:
    value = str(data.get(key) or "").strip()
    if not value:
        raise DomainError("required", f"{key} 必填", f"{key} is required", field=key)
    return value
