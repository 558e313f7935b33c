"""CSV import and export of categories and routing rules, so that non-developers can review them.

Imports are all-or-nothing: every row is checked first, and one bad row refuses the file with
the row number and the reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.db import transaction

from civicgrid.accounts.models import Department
from civicgrid.core.errors import DomainError
from civicgrid.taxonomy.choices import KIND_BY_LABEL, CategoryKind
from civicgrid.taxonomy.models import CODE_RE, Category, RoutingRule

CATEGORY_COLUMNS = [
    "kind",
    "code",
    "major_code",
    "major_name",
    "name",
    "legacy_code",
    "is_local",
    "default_urgency",
    "auto_dispatch",
]
ROUTING_COLUMNS = ["kind", "category_code", "major_code", "area_code", "department_code", "active", "note"]


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "y", "是"}


def _row_error(line: int, zh: str, en: str) -> DomainError:
    return DomainError("csv_invalid", f"第 {line} 行：{zh}", f"line {line}: {en}", field="file")


@transaction.atomic
def categories_import(text: str, *, is_local: bool = False) -> tuple[int, int]:
    """Upsert categories by (kind, code). Returns (created, updated)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    rows = []
    for line, row in enumerate(reader, start=2):
        kind = KIND_BY_LABEL.get((row.get("kind") or "").strip())
        code = (row.get("code") or "").strip()
        name = (row.get("name") or "").strip()
        if kind is None:
            raise _row_error(line, f"未知类型 {row.get('kind')!r}", f"unknown kind {row.get('kind')!r}")
        if not CODE_RE.match(code):
            raise _row_error(line, f"编码应为 5 位数字：{code!r}", f"code must be 5 digits: {code!r}")
        if not name:
            raise _row_error(line, "名称为空", "name is empty")
        rows.append((kind, code, name, row))
    created = updated = 0
    existing = {(c.kind, c.code): c for c in Category.objects.all()}
    for kind, code, name, row in rows:
        cat = existing.get((kind, code)) or Category(kind=kind, code=code)
        is_new = cat.pk is None
        cat.name = name
        cat.major_name = (row.get("major_name") or cat.major_name or "").strip()
        if "legacy_code" in row and row["legacy_code"] is not None:
            cat.legacy_code = row["legacy_code"].strip()
        cat.is_local = _bool(row.get("is_local"), is_local if is_new else cat.is_local)
        if row.get("default_urgency"):
            cat.default_urgency = row["default_urgency"].strip()
        cat.auto_dispatch = _bool(row.get("auto_dispatch"), cat.auto_dispatch)
        cat.save()
        created += is_new
        updated += not is_new
    return created, updated


def categories_export(categories: Iterable[Category]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CATEGORY_COLUMNS)
    for c in categories:
        writer.writerow(
            [
                c.kind,
                c.code,
                c.major_code,
                c.major_name,
                c.name,
                c.legacy_code,
                int(c.is_local),
                c.default_urgency,
                int(c.auto_dispatch),
            ]
        )
    return out.getvalue()


def routing_export(rules: Iterable[RoutingRule]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ROUTING_COLUMNS)
    for r in rules:
        # A category rule may leave its kind blank, but the file needs it to find the category again
        # (components and matters share codes).
        kind = r.kind or (r.category.kind if r.category_id else "")
        writer.writerow(
            [
                kind,
                r.category.code if r.category_id else "",
                r.major_code,
                r.area_code,
                r.department.code,
                int(r.active),
                r.note,
            ]
        )
    return out.getvalue()


@transaction.atomic
def routing_import(text: str, *, replace: bool = True) -> int:
    """Load routing rules from CSV; with `replace` the file becomes the whole rule table."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = set(ROUTING_COLUMNS[:5]) - set(reader.fieldnames or [])
    if missing:
        raise DomainError(
            "csv_invalid",
            f"缺少列：{', '.join(sorted(missing))}",
            f"missing columns: {', '.join(sorted(missing))}",
            field="file",
        )
    departments = {d.code: d for d in Department.objects.all()}
    categories = {(c.kind, c.code): c for c in Category.objects.all()}
    rules = []
    for line, row in enumerate(reader, start=2):
        kind = (row.get("kind") or "").strip()
        if kind and kind not in CategoryKind.values:
            raise _row_error(line, f"未知类型 {kind!r}", f"unknown kind {kind!r}")
        code = (row.get("category_code") or "").strip()
        category = None
        if code:
            if not kind:
                raise _row_error(line, "指定分类编码时必须给出类型", "a category code needs its kind")
            category = categories.get((kind, code))
            if category is None:
                raise _row_error(line, f"分类 {kind}/{code} 不存在", f"category {kind}/{code} does not exist")
        department = departments.get((row.get("department_code") or "").strip())
        if department is None:
            raise _row_error(
                line,
                f"部门 {row.get('department_code')!r} 不存在",
                f"department {row.get('department_code')!r} does not exist",
            )
        rule = RoutingRule(
            kind=kind,
            category=category,
            major_code=(row.get("major_code") or "").strip(),
            area_code=(row.get("area_code") or "").strip(),
            department=department,
            active=_bool(row.get("active"), True),
            note=(row.get("note") or "").strip(),
        )
        try:
            rule.clean()
        except Exception as exc:
            raise _row_error(line, str(exc), str(exc)) from exc
        rules.append(rule)
    if replace:
        RoutingRule.objects.all().delete()
    RoutingRule.objects.bulk_create(rules)
    return len(rules)
