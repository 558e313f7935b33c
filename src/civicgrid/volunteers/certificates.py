"""Volunteer service certificates (志愿服务证明): issue, print (PDF with a QR code) and verify.

A certificate states a volunteer's approved hours and services in a period, as the record held them when it
was issued. Its code is a signed token (`core.tokens`, purpose "volunteer-cert"), so a made-up code fails
before the database is asked; its QR opens `/v/cert/<code>/`, the public verification page.

A certificate is genuine only when both hold:
1. its stored `digest` is the SHA-256 of the figures it states (a row edited in the database — hours, count,
   period, holder — no longer hashes to it), and
2. those figures are what the approved hours (`records.approved_lines`) say for the period, counting what had
   been approved by the issue time (an approved sign-up changed afterwards makes it differ).
A revoked certificate shows as revoked; an unknown or forged code as not genuine.

The PDF uses reportlab's built-in CID font STSong-Light for Chinese, as `codes/printing.py` does.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import segno
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from civicgrid.core import clock, tokens
from civicgrid.core.errors import Conflict, DomainError
from civicgrid.core.masking import mask_name
from civicgrid.core.text import text_check
from civicgrid.volunteers.models import Certificate, VolunteerProfile
from civicgrid.volunteers.records import ZERO, approved_lines, record_lines

PURPOSE = "volunteer-cert"
DEFAULT_ISSUER = "志愿服务平台"
PDF_LINES = 18  # services listed on the certificate (the newest); the totals count every one


class Status:
    GENUINE = "genuine"
    NOT_GENUINE = "not_genuine"
    REVOKED = "revoked"


@dataclass
class Verification:
    """What the verification page shows: the status, and the certificate when its code is known."""

    status: str
    certificate: Certificate | None = None
    reasons: list[str] = field(default_factory=list)  # why it is not genuine (for staff and logs)

    @property
    def genuine(self) -> bool:
        return self.status == Status.GENUINE

    @property
    def holder(self) -> str:
        """The holder's name as the public page shows it (masked: 王*)."""
        return mask_name(self.certificate.volunteer.real_name) if self.certificate else ""


def verify_url(code: str) -> str:
    return settings.SITE_URL.rstrip("/") + verify_path(code)


def verify_path(code: str) -> str:
    return f"/v/cert/{code}/"


def certificate_digest(
    *,
    code: str,
    number: str,
    period_start: date | None,
    period_end: date,
    hours: Decimal,
    activities: int,
    issued_by: str,
    issued_at: datetime,
) -> str:
    """SHA-256 of what a certificate certifies, in one canonical line."""
    line = "|".join(
        [
            "v1",
            code,
            number,
            period_start.isoformat() if period_start else "",
            period_end.isoformat(),
            f"{Decimal(hours):.2f}",
            str(int(activities)),
            issued_by,
            issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ]
    )
    return hashlib.sha256(line.encode()).hexdigest()


def _digest_of(cert: Certificate) -> str:
    return certificate_digest(
        code=cert.code,
        number=cert.volunteer.number,
        period_start=cert.period_start,
        period_end=cert.period_end,
        hours=cert.hours,
        activities=cert.activities,
        issued_by=cert.issued_by,
        issued_at=cert.issued_at,
    )


def ledger_figures(
    volunteer: VolunteerProfile, *, start: date | None, end: date, at: datetime
) -> tuple[Decimal, int]:
    """(hours, services) the approved records hold for shifts on [start, end], as approved by `at`."""
    row = approved_lines(volunteer=volunteer, start=start, end=end, approved_until=at).aggregate(
        hours=Sum("hours_approved"), n=Count("id")
    )
    return (row["hours"] or ZERO).quantize(Decimal("0.01")), row["n"]


def _issuer(volunteer: VolunteerProfile, actor) -> str:
    if actor is not None and getattr(actor, "department_id", None):
        return actor.department.name
    team = volunteer.teams.order_by("id").first()
    return team.name if team is not None else DEFAULT_ISSUER


@transaction.atomic
def certificate_issue(
    *,
    volunteer: VolunteerProfile,
    actor=None,
    period_start: date | None = None,
    period_end: date | None = None,
    issued_by: str = "",
) -> Certificate:
    """A certificate of the volunteer's approved hours for shifts on [period_start, period_end] (from the
    first service, to today when not given). Free of charge; one may be issued as often as asked."""
    now = clock.now()  # not rounded down: an approval earlier in the same second must count
    today = timezone.localdate(now)
    period_end = period_end or today
    if period_end > today:
        raise DomainError(
            "period_in_future",
            "证明的截止日期不能晚于今天",
            "a certificate cannot cover days after today",
            field="period_end",
        )
    if period_start is not None and period_start > period_end:
        raise DomainError(
            "period_invalid", "起始日期晚于截止日期", "the start is after the end", field="period_start"
        )
    issuer = text_check(issued_by, field="issued_by", max_length=100) if issued_by else ""
    issuer = issuer or _issuer(volunteer, actor)
    hours, services = ledger_figures(volunteer, start=period_start, end=period_end, at=now)
    if services == 0:
        raise DomainError(
            "no_service",
            "该时段内没有已认定的志愿服务时长，无法出具证明",
            "there are no approved service hours in this period to certify",
            field="period_start",
        )
    code = tokens.sign(PURPOSE, tokens.new_payload(12))
    cert = Certificate(
        volunteer=volunteer,
        code=code,
        period_start=period_start,
        period_end=period_end,
        hours=hours,
        activities=services,
        issued_by=issuer,
        issued_at=now,
    )
    cert.digest = _digest_of(cert)
    cert.save()
    return cert


def certificate_current(*, volunteer: VolunteerProfile, actor=None) -> Certificate:
    """The volunteer's latest whole-record certificate if it still states today's figures, else a new one."""
    today = timezone.localdate(clock.now())
    latest = (
        Certificate.objects.select_related("volunteer")
        .filter(volunteer=volunteer, period_start__isnull=True, period_end=today, revoked_at__isnull=True)
        .order_by("-issued_at", "-id")
        .first()
    )
    if latest is not None and certificate_verify(latest.code).genuine:
        hours, services = ledger_figures(volunteer, start=None, end=today, at=clock.now())
        if (hours, services) == (latest.hours, latest.activities):
            return latest
    return certificate_issue(volunteer=volunteer, actor=actor)


def certificate_revoke(*, certificate: Certificate, actor, reason: str = "") -> Certificate:
    """Mark a certificate void (作废); its page says so from then on. Once only."""
    now = clock.now()
    changed = Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not changed:
        raise Conflict(
            "certificate_revoked", "该证明已作废", "this certificate was already revoked", field="certificate"
        )
    certificate.revoked_at = now
    return certificate


def certificate_verify(code: str) -> Verification:
    """Is the certificate with this code genuine, revoked, or not genuine (unknown, forged, altered)?"""
    code = (code or "").strip()
    try:
        tokens.verify(PURPOSE, code)
    except DomainError:
        return Verification(Status.NOT_GENUINE, reasons=["code_invalid"])
    cert = Certificate.objects.select_related("volunteer").filter(code=code).first()
    if cert is None:
        return Verification(Status.NOT_GENUINE, reasons=["code_unknown"])
    if cert.revoked_at is not None:
        return Verification(Status.REVOKED, cert)
    reasons = []
    if cert.digest != _digest_of(cert):
        reasons.append("digest_mismatch")
    hours, services = ledger_figures(
        cert.volunteer, start=cert.period_start, end=cert.period_end, at=cert.issued_at
    )
    if hours != Decimal(cert.hours).quantize(Decimal("0.01")) or services != cert.activities:
        reasons.append("ledger_mismatch")
    return Verification(Status.NOT_GENUINE if reasons else Status.GENUINE, cert, reasons)


# --- the PDF -------------------------------------------------------------------------------------------


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _hours(value: Decimal) -> str:
    text = f"{Decimal(value):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate on one A4 page: the statement, the latest services, the issuer and a QR code of
    the verification page with its code written beside it."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = _font()
    cert = certificate
    volunteer = cert.volunteer
    lines = record_lines(
        approved_lines(
            volunteer=volunteer, start=cert.period_start, end=cert.period_end, approved_until=cert.issued_at
        )
    )
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.setTitle(f"志愿服务证明 {cert.code}")
    page_w, page_h = A4
    margin = 20 * mm
    y = page_h - 30 * mm
    pdf.setFont(font, 22)
    pdf.drawCentredString(page_w / 2, y, "志愿服务证明")
    y -= 8 * mm
    pdf.setFont("Helvetica", 10)
    pdf.drawCentredString(page_w / 2, y, "Certificate of Volunteer Service")
    y -= 14 * mm
    start = cert.period_start.strftime("%Y年%m月%d日") if cert.period_start else "首次服务"
    end = cert.period_end.strftime("%Y年%m月%d日")
    statement = [
        f"兹证明 {volunteer.real_name}（志愿者编号 {volunteer.number}）",
        f"自{start}至{end}，参加志愿服务 {cert.activities} 次，",
        f"经组织者认定的志愿服务时长累计 {_hours(cert.hours)} 小时。",
        "特此证明。",
    ]
    pdf.setFont(font, 13)
    for text in statement:
        pdf.drawString(margin, y, text)
        y -= 8 * mm
    y -= 4 * mm
    pdf.setFont(font, 10)
    columns = [(margin, "服务日期"), (margin + 26 * mm, "活动名称"), (margin + 92 * mm, "组织单位")]
    columns += [(margin + 140 * mm, "时长（小时）")]
    for x, title in columns:
        pdf.drawString(x, y, title)
    y -= 2 * mm
    pdf.line(margin, y, page_w - margin, y)
    y -= 5 * mm
    for line in lines[:PDF_LINES]:
        pdf.drawString(columns[0][0], y, line.day.isoformat())
        pdf.drawString(columns[1][0], y, _cut(line.title, 20))
        pdf.drawString(columns[2][0], y, _cut(line.organiser, 14))
        pdf.drawString(columns[3][0], y, _hours(line.hours))
        y -= 6 * mm
    if len(lines) > PDF_LINES:
        pdf.drawString(margin, y, f"……另有 {len(lines) - PDF_LINES} 次服务，合计已计入上述时长。")
        y -= 6 * mm
    # Issuer, date and the QR of the verification page, at the foot of the page.
    qr = io.BytesIO()
    segno.make(verify_url(cert.code), error="m", micro=False).save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    size = 38 * mm
    pdf.drawImage(ImageReader(qr), page_w - margin - size, margin, width=size, height=size)
    pdf.setFont(font, 12)
    pdf.drawString(margin, margin + 28 * mm, f"出具单位：{cert.issued_by}")
    issued = timezone.localtime(cert.issued_at)
    pdf.drawString(margin, margin + 20 * mm, f"出具日期：{issued:%Y年%m月%d日}")
    pdf.setFont(font, 9)
    pdf.drawString(margin, margin + 10 * mm, "扫描右侧二维码或访问以下地址核验本证明真伪：")
    pdf.setFont("Helvetica", 8)
    pdf.drawString(margin, margin + 5 * mm, verify_url(cert.code))
    pdf.drawString(margin, margin, f"Code: {cert.code}")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
