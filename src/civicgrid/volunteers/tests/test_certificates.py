"""Certificates: issued from the approved hours, genuine while the stored figures hash to the digest and
match the approved record at the issue time; a changed row, a changed digest, a made-up code are not
genuine; a revoked one says so. The public page and the PDF."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from civicgrid.core import tokens
from civicgrid.core.errors import Conflict, DomainError
from civicgrid.volunteers.certificates import (
    PURPOSE,
    Status,
    certificate_issue,
    certificate_pdf,
    certificate_revoke,
    certificate_verify,
    verify_path,
)
from civicgrid.volunteers.models import Certificate, HoursState, Signup
from civicgrid.volunteers.tests.records_fixtures import NOW, at, history_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_an_issued_certificate_states_the_approved_hours_and_verifies(history, frozen):
    cert = certificate_issue(volunteer=history.wang, actor=history.cleaning.leader)
    assert cert.hours == Decimal("6.5") and cert.activities == 3
    assert cert.period_start is None and cert.period_end == date(2026, 11, 27)
    assert len(cert.code) <= 40 and len(cert.digest) == 64
    result = certificate_verify(cert.code)
    assert result.status == Status.GENUINE and result.genuine and result.reasons == []
    assert result.holder == "王*"

    period = certificate_issue(
        volunteer=history.wang, period_start=date(2026, 11, 1), period_end=date(2026, 11, 30 - 3)
    )
    assert period.hours == Decimal("3.5") and period.activities == 2
    assert certificate_verify(period.code).genuine


def test_a_changed_certificate_row_does_not_verify(history, frozen):
    cert = certificate_issue(volunteer=history.wang)
    Certificate.objects.filter(pk=cert.pk).update(hours=Decimal("60.5"))
    result = certificate_verify(cert.code)
    assert result.status == Status.NOT_GENUINE and "digest_mismatch" in result.reasons


def test_a_changed_digest_does_not_verify(history, frozen):
    cert = certificate_issue(volunteer=history.wang)
    Certificate.objects.filter(pk=cert.pk).update(digest="0" * 64)
    assert certificate_verify(cert.code).reasons == ["digest_mismatch"]


def test_a_recomputed_digest_over_changed_figures_still_fails_against_the_ledger(history, frozen):
    from civicgrid.volunteers.certificates import _digest_of

    cert = certificate_issue(volunteer=history.wang)
    cert.hours = Decimal("60.5")
    cert.digest = _digest_of(cert)  # someone with database access rewrites both
    Certificate.objects.filter(pk=cert.pk).update(hours=cert.hours, digest=cert.digest)
    result = certificate_verify(cert.code)
    assert result.status == Status.NOT_GENUINE and result.reasons == ["ledger_mismatch"]


def test_changed_approved_hours_make_it_not_genuine(history, frozen):
    cert = certificate_issue(volunteer=history.wang)
    Signup.objects.filter(pk=history.signups["wang_oct"].pk).update(hours_approved=Decimal("8"))
    result = certificate_verify(cert.code)
    assert result.status == Status.NOT_GENUINE and result.reasons == ["ledger_mismatch"]


def test_hours_approved_after_the_issue_do_not_unsettle_it(history, frozen):
    cert = certificate_issue(volunteer=history.wang)
    frozen.shift(3600)
    s = history.signups["liu_cross"]
    Signup.objects.filter(pk=s.pk).update(
        volunteer=history.wang.pk,
        hours_state=HoursState.APPROVED,
        hours_approved=Decimal("2"),
        hours_approved_at=at("2026-11-27", 16),
    )
    assert certificate_verify(cert.code).genuine  # approved after the issue: not what it certified
    assert certificate_issue(volunteer=history.wang).hours == Decimal("8.5")


def test_unknown_and_forged_codes_are_not_genuine(history, frozen):
    certificate_issue(volunteer=history.wang)
    unknown = tokens.sign(PURPOSE, tokens.new_payload(12))  # well formed, never issued
    assert certificate_verify(unknown).reasons == ["code_unknown"]
    assert certificate_verify("k1.abc.def").reasons == ["code_invalid"]
    assert certificate_verify("").status == Status.NOT_GENUINE
    other_purpose = tokens.sign("code", tokens.new_payload(12))
    assert certificate_verify(other_purpose).reasons == ["code_invalid"]


def test_a_revoked_certificate_shows_revoked_once(history, frozen):
    cert = certificate_issue(volunteer=history.wang)
    certificate_revoke(certificate=cert, actor=None, reason="重新出具")
    assert certificate_verify(cert.code).status == Status.REVOKED
    with pytest.raises(Conflict):
        certificate_revoke(certificate=cert, actor=None)


def test_issue_refusals_change_nothing(history, frozen):
    with pytest.raises(DomainError) as err:
        certificate_issue(volunteer=history.liu)  # nothing approved
    assert err.value.code == "no_service"
    with pytest.raises(DomainError) as err:
        certificate_issue(volunteer=history.wang, period_end=date(2026, 12, 31))
    assert err.value.code == "period_in_future"
    with pytest.raises(DomainError) as err:
        certificate_issue(
            volunteer=history.wang, period_start=date(2026, 11, 20), period_end=date(2026, 11, 1)
        )
    assert err.value.code == "period_invalid"
    assert not Certificate.objects.exists()


def test_the_pdf_has_the_statement_and_the_qr_of_the_verification_page(history, frozen):
    cert = certificate_issue(volunteer=history.wang)
    pdf = certificate_pdf(cert)
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1 and b"/Subtype /Image" in pdf  # the QR
    text = page_text(pdf)
    assert f"(Code: {cert.code})".encode() in text and verify_path(cert.code).encode() in text


def page_text(pdf: bytes) -> bytes:
    """The page's content streams, inflated (reportlab compresses them)."""
    out = b""
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            out += zlib.decompress(raw.strip())
        except zlib.error:
            try:
                out += zlib.decompress(base64.a85decode(raw.strip(), adobe=True))
            except (ValueError, zlib.error):
                continue
    return out


def test_the_public_page_tells_genuine_not_genuine_and_revoked(history, frozen):
    client = Client()
    cert = certificate_issue(volunteer=history.wang)
    page = client.get(verify_path(cert.code))
    body = page.content.decode()
    assert page.status_code == 200 and 'id="cert-genuine"' in body
    assert "王*" in body and "王芳" not in body and "6.5" in body and history.wang.number in body

    Certificate.objects.filter(pk=cert.pk).update(hours=Decimal("60"))
    body = client.get(verify_path(cert.code)).content.decode()
    assert 'id="cert-not-genuine"' in body and "60" not in body.split('id="cert-not-genuine"')[1][:400]

    fake = client.get(verify_path("k1.forged.code"))
    assert fake.status_code == 404 and 'id="cert-not-genuine"' in fake.content.decode()

    other = certificate_issue(volunteer=history.wang)
    certificate_revoke(certificate=other, actor=None)
    assert 'id="cert-revoked"' in client.get(verify_path(other.code)).content.decode()


def test_my_certificate_download_is_the_citizens_own(history, world, frozen):
    client = Client()
    assert client.get("/v/me/certificate.pdf").status_code == 302  # sign in first
    client.force_login(world.citizen)
    r = client.get("/v/me/certificate.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    cert = Certificate.objects.get()
    assert cert.volunteer == history.wang and certificate_verify(cert.code).genuine
    assert client.get("/v/me/certificate.pdf").status_code == 200
    assert Certificate.objects.count() == 1  # unchanged figures: the same certificate again

    client.force_login(world.inspector)  # no volunteer profile
    r = client.get("/v/me/certificate.pdf")
    assert r.status_code == 404


def test_hours_approved_earlier_in_the_same_second_are_certified(history):
    """The issue time is not rounded down: an approval 0.4 s before, in the same second, counts."""
    approved = Signup.objects.filter(volunteer=history.wang, hours_state=HoursState.APPROVED)
    with time_machine.travel(NOW.replace(microsecond=700_000), tick=False):
        base = certificate_issue(volunteer=history.wang)
    last = approved.order_by("-hours_approved_at").first()
    Signup.objects.filter(pk=last.pk).update(
        hours_approved_at=NOW.replace(microsecond=300_000) + timedelta(days=1),
        hours_approved=last.hours_approved + 1,
    )
    with time_machine.travel(NOW.replace(microsecond=700_000) + timedelta(days=1), tick=False):
        cert = certificate_issue(volunteer=history.wang)
    assert cert.hours == base.hours + 1
    assert certificate_verify(cert.code).genuine
