"""Printing: PNG and SVG per code, a PDF sheet with one page per 12 codes; administrators only."""

from __future__ import annotations

import io
import re

import pytest
import segno
from PIL import Image

from civicgrid.codes import services
from civicgrid.codes.printing import PER_PAGE

pytestmark = pytest.mark.django_db


def test_png_and_svg_per_code(client, world, codes):
    client.force_login(world.admin)
    for kind in ("household", "place", "merchant", "stall", "ebike"):
        code = getattr(codes, kind)
        png = client.get(f"/c/{code.pk}/qr.png")
        assert png.status_code == 200 and png["Content-Type"] == "image/png"
        assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
        image = Image.open(io.BytesIO(png.content))
        assert image.height > image.width  # the label band under the QR
        svg = client.get(f"/c/{code.pk}/qr.svg")
        assert svg["Content-Type"] == "image/svg+xml"
        text = svg.content.decode()
        assert text.startswith("<?xml") and "<svg" in text and code.label.split()[0] in text


def test_png_encodes_the_code_url(client, world, codes):
    """Every module of the printed QR matches the symbol of the code's URL (scale 8, border 4)."""
    client.force_login(world.admin)
    image = Image.open(io.BytesIO(client.get(f"/c/{codes.merchant.pk}/qr.png").content)).convert("L")
    matrix = segno.make(codes.merchant.url, error="m", micro=False).matrix
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            assert (image.getpixel(((c + 4) * 8 + 4, (r + 4) * 8 + 4)) < 128) == bool(dark)


def test_pdf_sheet_has_one_page_per_twelve_codes(client, world, codes):
    for _ in range(PER_PAGE + 3 - 5):
        services.code_issue(entity=codes.place.place, kind="place")
    client.force_login(world.admin)
    pdf = client.get("/c/print/sheet.pdf").content
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 2
    assert b"STSong-Light" in pdf
    one = client.get("/c/print/sheet.pdf", {"ids": str(codes.stall.pk)}).content
    assert len(re.findall(rb"/Type /Page\b", one)) == 1


def test_admin_action_prints_selected_codes(client, world, codes):
    client.force_login(world.admin)
    r = client.post(
        "/admin/codes/code/", {"action": "print_pdf", "_selected_action": [codes.place.pk, codes.merchant.pk]}
    )
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")


def test_printing_is_for_administrators(client, world, codes):
    assert client.get(f"/c/{codes.place.pk}/qr.png").status_code == 302
    client.force_login(world.inspector)
    assert client.get(f"/c/{codes.place.pk}/qr.png").status_code == 403
    assert client.get("/c/print/sheet.pdf").status_code == 403
