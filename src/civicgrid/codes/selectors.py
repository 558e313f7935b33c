"""Reads for codes: what a scan page shows about the entity (people masked), scan statistics."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Sum
from django.utils.translation import gettext as _

from civicgrid.codes.choices import CodeKind, EBikeReportStatus
from civicgrid.codes.models import Code, EBikeReport, ScanDay
from civicgrid.core import clock


def code_facts(code: Code) -> list[tuple[str, str]]:
    """(label, value) rows for the scan page; people appear only masked (王*), never with phones."""
    e = code.entity
    if code.kind == CodeKind.HOUSEHOLD:
        residents = [p.display_name for p in e.residents.order_by("id")]
        return [
            (_("地址"), e.address),
            (_("社区"), e.community.name),
            (_("住户"), "、".join(residents) or _("未登记")),
        ]
    if code.kind == CodeKind.PLACE:
        rows = [
            (_("名称"), e.name),
            (_("部件类别"), f"{e.category.code} {e.category.name}"),
            (_("部件标识码"), e.component_code),
        ]
        if e.address:
            rows.append((_("地址"), e.address))
        if e.cell_id:
            rows.append((_("所在网格"), e.cell.name))
        return rows
    if code.kind == CodeKind.MERCHANT:
        rows = [
            (_("店名"), e.name),
            (_("地址"), e.address),
            (_("创城等级"), e.get_grade_display() or _("未评级")),
        ]
        if e.owner_id:
            rows.append((_("经营者"), e.owner.display_name))
        if e.license_no:
            rows.append((_("营业执照号"), e.license_no))
        rows.append((_("门前三包责任区"), _("已划定") if e.area else _("未划定")))
        return rows
    if code.kind == CodeKind.STALL:
        return [
            (_("经营品类"), e.goods),
            (_("摊主"), e.vendor.display_name),
            (_("允许经营时段"), f"{e.hours_start:%H:%M}–{e.hours_end:%H:%M}"),
        ]
    return [(_("车牌号"), e.plate), (_("车主"), e.owner.display_name)]


def merchant_recent_inspections(code: Code, limit: int = 5):
    return list(code.merchant.inspections.all()[:limit])


def ebike_pending_reports(code: Code):
    return list(
        EBikeReport.objects.filter(ebike=code.ebike, status=EBikeReportStatus.PENDING)
        .select_related("reporter")
        .order_by("created_at")
    )


def ebike_confirmed_recent(code: Code) -> int:
    since = clock.now() - timedelta(days=30)
    return EBikeReport.objects.filter(
        ebike=code.ebike, status=EBikeReportStatus.CONFIRMED, created_at__gte=since
    ).count()


def scans_total(code: Code) -> int:
    return ScanDay.objects.filter(code=code).aggregate(n=Sum("count"))["n"] or 0
