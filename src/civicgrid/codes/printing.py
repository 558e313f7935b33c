"""Printable codes: a PNG or SVG per code (QR + label) and a PDF sheet of many (reportlab).

Labels name the thing (address, shop, plate), never a person. Chinese in the PDF uses reportlab's
built-in CID font STSong-Light, so no font file has to ship; the PNG uses a system CJK font when
one is installed and falls back to the code's kind and id.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from xml.sax.saxutils import escape

import segno
from PIL import Image, ImageDraw, ImageFont

from civicgrid.codes.models import Code

CJK_FONTS = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
]
PER_PAGE_COLS, PER_PAGE_ROWS = 3, 4
PER_PAGE = PER_PAGE_COLS * PER_PAGE_ROWS


def _qr(code: Code) -> segno.QRCode:
    return segno.make(code.url, error="m", micro=False)


def qr_png(code: Code, *, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    _qr(code).save(buf, kind="png", scale=scale, border=4)
    qr = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    label = code.label
    font, text = None, label
    for path in CJK_FONTS:
        if os.path.exists(path):
            font = ImageFont.truetype(path, size=max(14, scale * 3))
            break
    if font is None:
        font, text = ImageFont.load_default(), f"{code.kind} #{code.pk}"
    band = max(28, scale * 5)
    out = Image.new("RGB", (qr.width, qr.height + band), "white")
    out.paste(qr, (0, 0))
    draw = ImageDraw.Draw(out)
    while draw.textlength(text, font=font) > qr.width - 8 and len(text) > 4:
        text = text[:-2] + "…"
    w = draw.textlength(text, font=font)
    draw.text(((qr.width - w) / 2, qr.height + 2), text, fill="black", font=font)
    result = io.BytesIO()
    out.save(result, format="PNG")
    return result.getvalue()


def qr_svg(code: Code, *, scale: int = 8) -> bytes:
    """A standalone SVG: the QR modules and the label below them."""
    qr = _qr(code)
    buf = io.BytesIO()
    qr.save(buf, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True, nl=False)
    inner = buf.getvalue().decode()
    width, height = qr.symbol_size(scale=scale, border=4)
    band = scale * 5
    body = inner[inner.index(">") + 1 : inner.rindex("</svg>")]
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + band}" '
        f'viewBox="0 0 {width} {height + band}"><rect width="100%" height="100%" fill="#fff"/>{body}'
        f'<text x="{width / 2}" y="{height + band * 0.6}" text-anchor="middle" font-size="{scale * 3}" '
        f'font-family="sans-serif">{escape(code.label)}</text></svg>'
    ).encode()


def pdf_sheet(codes: Sequence[Code], *, title: str = "") -> bytes:
    """An A4 sheet of QR codes with labels, PER_PAGE per page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.setTitle(title or "civicgrid codes")
    page_w, page_h = A4
    margin = 12 * mm
    cell_w = (page_w - 2 * margin) / PER_PAGE_COLS
    cell_h = (page_h - 2 * margin) / PER_PAGE_ROWS
    size = min(cell_w, cell_h) - 16 * mm
    for i, code in enumerate(codes):
        slot = i % PER_PAGE
        if i and slot == 0:
            pdf.showPage()
        col, row = slot % PER_PAGE_COLS, slot // PER_PAGE_COLS
        x = margin + col * cell_w
        y = page_h - margin - (row + 1) * cell_h
        png = io.BytesIO()
        _qr(code).save(png, kind="png", scale=6, border=2)
        png.seek(0)
        pdf.drawImage(ImageReader(png), x + (cell_w - size) / 2, y + 12 * mm, width=size, height=size)
        pdf.setFont("STSong-Light", 9)
        label = code.label if len(code.label) <= 22 else code.label[:21] + "…"
        pdf.drawCentredString(x + cell_w / 2, y + 7 * mm, label)
        pdf.setFont("Helvetica", 6)
        pdf.drawCentredString(x + cell_w / 2, y + 3.5 * mm, f"#{code.pk} {code.kind}")
    if not codes:
        pdf.setFont("STSong-Light", 12)
        pdf.drawString(margin, page_h - margin, "没有可打印的二维码 (no codes)")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
