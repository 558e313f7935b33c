"""The indicator system as data (测评体系): editions, their items, contents and standards; publishing
(which freezes an edition), copying into a new edition, import and export as CSV or xlsx; and the site
registry (点位) with its CSV import.

Rules:
- Only a draft edition changes. Every write here checks it under the edition's row lock, and the
  models refuse a save of a frozen edition's row anyway (models.FrozenGuard).
- An import is all or nothing: every row is checked first; a single bad row writes nothing and the
  answer lists each bad row with its line number, field and reason.
- Who configures: `Capability.CONFIGURE` (the administrator).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.core import clock
from civicgrid.core.errors import DomainError, PermissionDenied
from civicgrid.core.text import csv_decode, text_check
from civicgrid.evaluation.errors import FrozenEdition
from civicgrid.evaluation.models import (
    Content,
    DeductionRule,
    Edition,
    EditionStatus,
    GateRule,
    Item,
    Method,
    NegativeItem,
    Site,
    SiteType,
    Standard,
)
from civicgrid.grids.models import Cell, Street
from civicgrid.taxonomy.models import Category

# The columns of an indicator file, in order (export writes them; import needs them by name).
INDICATOR_COLUMNS = [
    "item_code",
    "item_name",
    "item_local",
    "content_code",
    "content_name",
    "standard_code",
    "text",
    "points",
    "method",
    "site_types",
    "rule",
    "deduction",
    "category",
]
SITE_COLUMNS = ["name", "site_type", "address", "lat", "lon", "street", "cell", "unit"]
FORMATS = ("csv", "xlsx")
TRUE_WORDS = {"1", "true", "yes", "y", "是", "特色"}


@dataclass
class RowError:
    line: int  # 1 = the header line
    field: str
    message: str


@dataclass
class ImportResult:
    """What an import did: `ok` is False when any row was bad, and then nothing was written."""

    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- who may -----------------------------------------------------------------------------------------


def configure_check(actor: User | None) -> None:
    if not user_can(actor, Capability.CONFIGURE):
        raise PermissionDenied(
            "evaluation_configure_forbidden",
            "只有系统管理员可以配置测评体系与点位",
            "only administrators configure the indicator system and the sites",
        )


def _draft_locked(edition: Edition) -> Edition:
    """The edition's row, locked; FrozenEdition unless it is a draft."""
    locked = Edition.objects.select_for_update().get(pk=edition.pk)
    if locked.frozen:
        raise FrozenEdition(locked.name)
    return locked


def _decimal(value: object, *, field_name: str, allow_empty: bool = False) -> Decimal | None:
    text = str(value if value is not None else "").strip()
    if not text:
        if allow_empty:
            return None
        raise DomainError(
            "value_required", f"{field_name} 不能为空", f"{field_name} is required", field=field_name
        )
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number <= 0 or number >= Decimal("10000"):
        raise DomainError(
            "points_invalid",
            f"{field_name} 应为大于 0 的数（如 1.5），不是 {text!r}",
            f"{field_name} must be a number above 0 (e.g. 1.5), not {text!r}",
            field=field_name,
        )
    return number.quantize(Decimal("0.01"))


# --- editions ----------------------------------------------------------------------------------------


def edition_create(*, name: str, year: int, actor: User) -> Edition:
    configure_check(actor)
    name = text_check(name, field="name", max_length=100)
    if not name:
        raise DomainError("name_required", "请填写名称", "a name is required", field="name")
    if not 2000 <= int(year) <= 2100:
        raise DomainError(
            "year_invalid", "年度应在 2000–2100 之间", "the year must be 2000–2100", field="year"
        )
    return Edition.objects.create(name=name, year=int(year))


def edition_publish(*, edition: Edition, actor: User) -> Edition:
    """Publish (发布) a draft edition: from now on it is frozen. An empty edition is refused."""
    configure_check(actor)
    with transaction.atomic():
        locked = _draft_locked(edition)
        if not Standard.objects.filter(content__item__edition=locked).exists():
            raise DomainError(
                "edition_empty",
                "测评体系中还没有测评标准，不能发布",
                "the edition has no standards yet and cannot be published",
            )
        locked.status = EditionStatus.PUBLISHED
        locked.published_at = clock.now()
        locked.save(update_fields=["status", "published_at"])
    return locked


def edition_copy(
    *, edition: Edition, actor: User, name: str | None = None, year: int | None = None
) -> Edition:
    """A new draft edition with the same items, contents, standards, gates and negative items."""
    configure_check(actor)
    with transaction.atomic():
        copy = Edition.objects.create(
            name=text_check(name, field="name", max_length=100) if name else f"{edition.name}（副本）"[:100],
            year=int(year) if year else edition.year,
            copied_from=edition,
        )
        items: dict[int, Item] = {}
        for item in Item.objects.filter(edition=edition).order_by("pk"):
            items[item.pk] = Item.objects.create(
                edition=copy, code=item.code, name=item.name, local=item.local, position=item.position
            )
        contents: dict[int, Content] = {}
        for content in Content.objects.filter(item__edition=edition).order_by("pk"):
            contents[content.pk] = Content.objects.create(
                item=items[content.item_id], code=content.code, name=content.name, position=content.position
            )
        Standard.objects.bulk_create(
            Standard(
                content=contents[s.content_id],
                code=s.code,
                text=s.text,
                points=s.points,
                method=s.method,
                site_types=list(s.site_types),
                rule=s.rule,
                deduction=s.deduction,
                category_id=s.category_id,
                position=s.position,
            )
            for s in Standard.objects.filter(content__item__edition=edition).order_by("pk")
        )
        for gate in GateRule.objects.filter(edition=edition).order_by("pk"):
            GateRule.objects.create(
                edition=copy,
                item=items.get(gate.item_id) if gate.item_id else None,
                min_rate=gate.min_rate,
                description=gate.description,
            )
        for negative in NegativeItem.objects.filter(edition=edition).order_by("pk"):
            NegativeItem.objects.create(
                edition=copy,
                code=negative.code,
                name=negative.name,
                deduction=negative.deduction,
                cap=negative.cap,
            )
    return copy


def item_add(*, edition: Edition, code: str, name: str, actor: User, local: bool = False) -> Item:
    configure_check(actor)
    with transaction.atomic():
        _draft_locked(edition)
        code, name = _code(code), _name(name, 100)
        if Item.objects.filter(edition=edition, code=code).exists():
            raise _duplicate(code)
        position = Item.objects.filter(edition=edition).count()
        return Item.objects.create(edition=edition, code=code, name=name, local=local, position=position)


def content_add(*, item: Item, code: str, name: str, actor: User) -> Content:
    configure_check(actor)
    with transaction.atomic():
        _draft_locked(item.edition)
        code, name = _code(code), _name(name, 200)
        if Content.objects.filter(item=item, code=code).exists():
            raise _duplicate(code)
        position = Content.objects.filter(item=item).count()
        return Content.objects.create(item=item, code=code, name=name, position=position)


def standard_add(
    *,
    content: Content,
    code: str,
    text: str,
    points: Decimal | str,
    method: str,
    rule: str,
    actor: User,
    site_types: Iterable[str] = (),
    deduction: Decimal | str | None = None,
    category: Category | None = None,
) -> Standard:
    configure_check(actor)
    with transaction.atomic():
        _draft_locked(content.item.edition)
        code = _code(code)
        if Standard.objects.filter(content=content, code=code).exists():
            raise _duplicate(code)
        standard = Standard(
            content=content, code=code, position=Standard.objects.filter(content=content).count()
        )
        _standard_fill(
            standard,
            text=text,
            points=points,
            method=method,
            rule=rule,
            site_types=site_types,
            deduction=deduction,
            category=category,
        )
        standard.save(force_insert=True)
    return standard


UPDATABLE = ("text", "points", "method", "rule", "site_types", "deduction", "category")


def standard_update(*, standard: Standard, actor: User, **changes: object) -> Standard:
    """Change a draft edition's standard (any of UPDATABLE)."""
    configure_check(actor)
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise DomainError(
            "field_unknown",
            f"不能修改 {sorted(unknown)}",
            f"cannot change {sorted(unknown)}",
            field=sorted(unknown)[0],
        )
    with transaction.atomic():
        _draft_locked(standard.content.item.edition)
        locked = Standard.objects.select_for_update().get(pk=standard.pk)
        current = {name: getattr(locked, name) for name in UPDATABLE}
        current.update(changes)
        _standard_fill(locked, **current)
        locked.save()
    return locked


def _standard_fill(
    standard: Standard,
    *,
    text: object,
    points: object,
    method: object,
    rule: object,
    site_types: Iterable[str],
    deduction: object,
    category: Category | None,
) -> None:
    """Check and set a standard's fields (DomainError on the first bad one)."""
    text = text_check(str(text or ""), field="text", max_length=1000)
    if not text:
        raise DomainError("text_required", "请填写测评标准", "the standard's text is required", field="text")
    if method not in Method.values:
        raise DomainError(
            "method_invalid",
            f"测评方法应为 {'/'.join(Method.values)}，不是 {method!r}",
            f"method must be one of {', '.join(Method.values)}, not {method!r}",
            field="method",
        )
    if rule not in DeductionRule.values:
        raise DomainError(
            "rule_invalid",
            f"扣分规则应为 {'/'.join(DeductionRule.values)}，不是 {rule!r}",
            f"rule must be one of {', '.join(DeductionRule.values)}, not {rule!r}",
            field="rule",
        )
    points_value = _decimal(points, field_name="points")
    deduction_value = _decimal(deduction, field_name="deduction", allow_empty=True)
    if rule == DeductionRule.PER_FAILURE and deduction_value is None:
        raise DomainError(
            "deduction_required",
            "按问题扣分的标准须填写每处扣分",
            "a per-failure standard needs its deduction per failure",
            field="deduction",
        )
    if deduction_value is not None and deduction_value > points_value:
        raise DomainError(
            "deduction_too_large",
            "每处扣分不能超过分值",
            "the deduction per failure cannot exceed the points",
            field="deduction",
        )
    types = sorted({str(t).strip() for t in site_types if str(t).strip()})
    known = set(SiteType.objects.filter(code__in=types).values_list("code", flat=True))
    if set(types) - known:
        raise DomainError(
            "site_type_unknown",
            f"未知的点位类型 {sorted(set(types) - known)}",
            f"unknown site types {sorted(set(types) - known)}",
            field="site_types",
        )
    if method == Method.FIELD and not types:
        raise DomainError(
            "site_types_required",
            "实地考察的标准须注明适用的点位类型",
            "a field standard names the site types it applies to",
            field="site_types",
        )
    standard.text = text
    standard.points = points_value
    standard.method = method
    standard.rule = rule
    standard.site_types = types
    standard.deduction = deduction_value if rule == DeductionRule.PER_FAILURE else None
    standard.category = category


def _code(code: object) -> str:
    code = text_check(str(code or ""), field="code", max_length=40)
    if not code:
        raise DomainError("code_required", "请填写编码", "a code is required", field="code")
    return code


def _name(name: object, max_length: int) -> str:
    name = text_check(str(name or ""), field="name", max_length=max_length)
    if not name:
        raise DomainError("name_required", "请填写名称", "a name is required", field="name")
    return name


def _duplicate(code: str) -> DomainError:
    return DomainError("code_taken", f"编码 {code} 已存在", f"the code {code} is already used", field="code")


# --- import and export -------------------------------------------------------------------------------


def _rows(file: object, fmt: str) -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8 with or without BOM, or GB18030) or xlsx file as dicts by header."""
    if fmt not in FORMATS:
        raise DomainError(
            "format_invalid", "文件格式应为 csv 或 xlsx", "the format must be csv or xlsx", field="fmt"
        )
    data = file if isinstance(file, bytes) else file.read()
    if fmt == "xlsx":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # a corrupt or foreign file: say so, do not crash
            raise DomainError(
                "file_unreadable", "无法读取该 xlsx 文件", "the xlsx file cannot be read"
            ) from exc
        lines = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        text = csv_decode(data, field="file")
        lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        raise DomainError("file_empty", "文件是空的", "the file is empty")
    header = [h.strip() for h in lines[0]]
    return [
        dict(zip(header, (c.strip() for c in line), strict=False))
        for line in lines[1:]
        if any(c.strip() for c in line)
    ]


def _header_check(rows: list[dict[str, str]], columns: list[str]) -> None:
    if rows:
        missing = [c for c in columns if c not in rows[0]]
        if missing:
            raise DomainError(
                "columns_missing",
                f"缺少列：{', '.join(missing)}",
                f"missing columns: {', '.join(missing)}",
            )


def indicators_import(*, edition: Edition, file: object, fmt: str = "csv", actor: User) -> ImportResult:
    """Add (or, by code, update) the edition's items, contents and standards from a file: all rows or none."""
    configure_check(actor)
    rows = _rows(file, fmt)
    _header_check(rows, INDICATOR_COLUMNS)
    result = ImportResult()
    categories = {c.code: c for c in Category.objects.all()}
    with transaction.atomic():
        locked = _draft_locked(edition)
        items = {i.code: i for i in Item.objects.filter(edition=locked)}
        contents = {
            (c.item.code, c.code): c
            for c in Content.objects.filter(item__edition=locked).select_related("item")
        }
        standards = {
            (s.content.item.code, s.content.code, s.code): s
            for s in Standard.objects.filter(content__item__edition=locked).select_related("content__item")
        }
        seen: set[tuple[str, str, str]] = set()
        plan: list[tuple[int, dict[str, str], Standard]] = []
        for line, row in enumerate(rows, start=2):
            try:
                key = (_code(row["item_code"]), _code(row["content_code"]), _code(row["standard_code"]))
                if key in seen:
                    raise DomainError(
                        "code_repeated",
                        "同一标准在文件中出现两次",
                        "the same standard appears twice",
                        field="standard_code",
                    )
                seen.add(key)
                _name(row["item_name"], 100)
                _name(row["content_name"], 200)
                category = None
                if row.get("category"):
                    category = categories.get(row["category"])
                    if category is None:
                        raise DomainError(
                            "category_unknown",
                            f"未知的案件类别 {row['category']}",
                            f"unknown category {row['category']}",
                            field="category",
                        )
                standard = standards.get(key) or Standard(code=key[2])
                _standard_fill(
                    standard,
                    text=row["text"],
                    points=row["points"],
                    method=row["method"],
                    rule=row["rule"],
                    site_types=row["site_types"].replace(";", "|").replace("；", "|").split("|"),
                    deduction=row["deduction"],
                    category=category,
                )
                plan.append((line, row, standard))
            except DomainError as error:
                result.errors.append(RowError(line, error.field or "", error.message))
        if result.errors:
            return result
        for _line, row, standard in plan:
            item_code, content_code = row["item_code"], row["content_code"]
            item = items.get(item_code)
            if item is None:
                item = items[item_code] = Item.objects.create(
                    edition=locked,
                    code=item_code,
                    name=row["item_name"],
                    local=row["item_local"].lower() in TRUE_WORDS,
                    position=len(items),
                )
            content = contents.get((item_code, content_code))
            if content is None:
                content = contents[(item_code, content_code)] = Content.objects.create(
                    item=item, code=content_code, name=row["content_name"], position=len(contents)
                )
            if standard.pk is None:
                standard.content = content
                standard.position = len(seen)
                standard.save(force_insert=True)
                result.created += 1
            else:
                standard.save()
                result.updated += 1
    return result


def indicators_export(*, edition: Edition, fmt: str = "csv") -> bytes:
    """The edition's standards, one row each, in the columns `indicators_import` reads."""
    if fmt not in FORMATS:
        raise DomainError(
            "format_invalid", "文件格式应为 csv 或 xlsx", "the format must be csv or xlsx", field="fmt"
        )
    rows = [INDICATOR_COLUMNS]
    standards = (
        Standard.objects.filter(content__item__edition=edition)
        .select_related("content__item", "category")
        .order_by(
            "content__item__position", "content__item_id", "content__position", "content_id", "position", "id"
        )
    )
    for s in standards:
        item, content = s.content.item, s.content
        rows.append(
            [
                item.code,
                item.name,
                "1" if item.local else "0",
                content.code,
                content.name,
                s.code,
                s.text,
                str(s.points),
                s.method,
                "|".join(s.site_types),
                s.rule,
                "" if s.deduction is None else str(s.deduction),
                s.category.code if s.category else "",
            ]
        )
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "测评标准"
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode("utf-8-sig")  # the BOM lets Excel read the Chinese


# --- sites -------------------------------------------------------------------------------------------


def site_type_create(*, code: str, name: str, actor: User) -> SiteType:
    configure_check(actor)
    code, name = _code(code), _name(name, 50)
    if SiteType.objects.filter(code=code).exists():
        raise _duplicate(code)
    return SiteType.objects.create(code=code, name=name)


def _site_fill(
    *,
    name: object,
    site_type: SiteType | None,
    lat: object,
    lon: object,
    street: Street | None,
    unit: Department | None,
    cell: Cell | None = None,
    address: object = "",
) -> Site:
    name = _name(name, 100)
    address = text_check(str(address or ""), field="address", max_length=200)
    try:
        lat_value, lon_value = float(lat), float(lon)
    except (TypeError, ValueError):
        lat_value = lon_value = float("nan")
    if not (-90 <= lat_value <= 90 and -180 <= lon_value <= 180):
        raise DomainError("location_invalid", "经纬度无效", "lat/lon are not a valid location", field="lat")
    if site_type is None:
        raise DomainError("site_type_unknown", "未知的点位类型", "unknown site type", field="site_type")
    if street is None:
        raise DomainError("street_unknown", "未知的街道", "unknown street", field="street")
    if unit is None:
        raise DomainError("unit_unknown", "未知的责任单位", "unknown responsible unit", field="unit")
    if cell is not None and cell.street_id != street.pk:
        raise DomainError(
            "cell_street_mismatch", "网格不在该街道", "the cell is not in the street", field="cell"
        )
    return Site(
        name=name,
        address=address,
        site_type=site_type,
        lat=lat_value,
        lon=lon_value,
        street=street,
        cell=cell,
        unit=unit,
    )


def site_create(
    *,
    name: str,
    site_type: SiteType,
    lat: float,
    lon: float,
    street: Street,
    unit: Department,
    actor: User,
    cell: Cell | None = None,
    address: str = "",
) -> Site:
    configure_check(actor)
    site = _site_fill(
        name=name, site_type=site_type, lat=lat, lon=lon, street=street, unit=unit, cell=cell, address=address
    )
    site.save(force_insert=True)
    return site


def sites_import(*, file: object, actor: User, fmt: str = "csv") -> ImportResult:
    """Sites from a file (SITE_COLUMNS; type, street, cell and unit by code): all rows or none."""
    configure_check(actor)
    rows = _rows(file, fmt)
    _header_check(rows, SITE_COLUMNS)
    types = {t.code: t for t in SiteType.objects.all()}
    streets = {s.code: s for s in Street.objects.all()}
    units = {d.code: d for d in Department.objects.filter(active=True)}
    cell_codes = {r.get("cell") for r in rows if r.get("cell")}
    cells = {c.code: c for c in Cell.objects.filter(code__in=cell_codes)}
    result = ImportResult()
    sites: list[Site] = []
    for line, row in enumerate(rows, start=2):
        try:
            if row.get("cell") and row["cell"] not in cells:
                raise DomainError(
                    "cell_unknown", f"未知的网格 {row['cell']}", f"unknown cell {row['cell']}", field="cell"
                )
            sites.append(
                _site_fill(
                    name=row["name"],
                    site_type=types.get(row["site_type"]),
                    lat=row["lat"],
                    lon=row["lon"],
                    street=streets.get(row["street"]),
                    unit=units.get(row["unit"]),
                    cell=cells.get(row.get("cell") or ""),
                    address=row.get("address", ""),
                )
            )
        except DomainError as error:
            result.errors.append(RowError(line, error.field or "", error.message))
    if result.errors:
        return result
    with transaction.atomic():
        Site.objects.bulk_create(sites)
    result.created = len(sites)
    return result
