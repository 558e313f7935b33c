"""What the leaders read from the scores: rankings of streets and units, the trend across rounds, the weakest
standards city-wide (where to act), and the round report as xlsx and PDF with the whole breakdown.

Everything here reads `scoring.round_scores`; a caller that needs several of these for one round passes
the `scores` it already has so the round is scored once. Rankings order by score rate (score / assessed
points: a street where fewer standards apply is not behind for that), then by total; equal rates share a rank.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from civicgrid.core.text import spreadsheet_text, text_clean
from civicgrid.evaluation.models import Edition, Method, Round, RoundStatus
from civicgrid.evaluation.scoring import RoundScores, Score, StandardScore, round_scores


def _method_name(method: str) -> str:
    return str(dict(Method.choices).get(method, method))


@dataclass
class RankRow:
    rank: int
    key: int
    name: str
    total: Decimal
    assessed: Decimal
    rate: Decimal | None
    passed: bool
    lost: Decimal


@dataclass
class TrendPoint:
    round_id: int
    name: str
    starts_on: date
    total: Decimal
    rate: Decimal | None
    passed: bool
    streets: dict[int, Decimal | None]


def _ranking(scores: dict[int, Score]) -> list[RankRow]:
    ordered = sorted(
        scores.values(),
        key=lambda s: (s.rate is None, -(s.rate or 0), -s.total, s.name),
    )
    rows: list[RankRow] = []
    for position, s in enumerate(ordered, start=1):
        same = rows and rows[-1].rate == s.rate
        rows.append(
            RankRow(
                rank=rows[-1].rank if same else position,
                key=s.key,
                name=s.name,
                total=s.total,
                assessed=s.assessed,
                rate=s.rate,
                passed=s.passed,
                lost=s.assessed - s.total,
            )
        )
    return rows


def street_ranking(round: Round, *, scores: RoundScores | None = None) -> list[RankRow]:
    return _ranking((scores or round_scores(round)).streets)


def unit_ranking(round: Round, *, scores: RoundScores | None = None) -> list[RankRow]:
    return _ranking((scores or round_scores(round)).units)


def trend(*, edition: Edition | None = None, rounds: list[Round] | None = None) -> list[TrendPoint]:
    """The city's total and rate, and each street's rate, round after round (an edition's rounds that are
    open or closed, oldest first; or the rounds given)."""
    if rounds is None:
        rounds = list(
            Round.objects.filter(edition=edition, status__in=[RoundStatus.OPEN, RoundStatus.CLOSED]).order_by(
                "starts_on", "id"
            )
        )
    points = []
    for r in rounds:
        s = round_scores(r)
        points.append(
            TrendPoint(
                round_id=r.pk,
                name=r.name,
                starts_on=r.starts_on,
                total=s.city.total,
                rate=s.city.rate,
                passed=s.city.passed,
                streets={k: v.rate for k, v in s.streets.items()},
            )
        )
    return points


def weakest_standards(round: Round, n: int = 10, *, scores: RoundScores | None = None) -> list[StandardScore]:
    """The city-wide standards that lost the most points (then the lowest rate): where to act first."""
    lines = [x for x in (scores or round_scores(round)).city.lines() if x.assessed and x.lost > 0]
    lines.sort(key=lambda x: (-x.lost, x.rate if x.rate is not None else 0, x.code))
    return lines[:n]


# --- the round report --------------------------------------------------------------------------------


def _safe(value):
    if isinstance(value, str):
        return spreadsheet_text(text_clean(value))
    return value


def _pct(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def _summary_rows(rnd: Round, scores: RoundScores) -> list[list]:
    city = scores.city
    rows = [
        ["测评轮次", rnd.name],
        ["测评体系", rnd.edition.name],
        ["测评期间", f"{rnd.starts_on:%Y-%m-%d} 至 {rnd.ends_on:%Y-%m-%d}"],
        ["总分", float(city.total)],
        ["满分（全部指标）", float(city.points)],
        ["已测评指标分值", float(city.assessed)],
        ["得分率", _pct(city.rate)],
        ["负面清单扣分", float(city.negative_total)],
        ["门槛", "全部达到" if city.passed else "未达到"],
    ]
    for m in city.methods.values():
        rows.append([f"得分率 · {_method_name(m.method)}", _pct(m.rate)])
    for g in city.gates:
        rows.append(
            [
                f"门槛 · {g.description}",
                f"{_pct(g.rate)}（最低 {_pct(g.min_rate)}）{'达到' if g.passed else '未达到'}",
            ]
        )
    for n in city.negatives:
        if n.incidents:
            rows.append([f"负面清单 · {n.name}", f"{len(n.incidents)} 起，扣 {n.deduction} 分（上限后）"])
    return rows


def round_report_xlsx(round: Round, *, scores: RoundScores | None = None) -> bytes:
    """The round report: summary, street and unit rankings, the line-by-line breakdown, weakest standards."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    scores = scores or round_scores(round)
    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list], first: bool = False):
        ws = book.active if first else book.create_sheet()
        ws.title = title
        if header:
            ws.append(header)
            for cell in ws[1]:
                cell.font = bold
        for row in rows:
            ws.append([_safe(v) for v in row])
        ws.freeze_panes = "A2" if header else None
        return ws

    sheet("总览", [], _summary_rows(round, scores), first=True)
    for title, rows in (
        ("街道排名", street_ranking(round, scores=scores)),
        ("责任单位排名", unit_ranking(round, scores=scores)),
    ):
        sheet(
            title,
            ["名次", "名称", "得分", "已测评分值", "得分率", "失分", "门槛"],
            [
                [
                    r.rank,
                    r.name,
                    float(r.total),
                    float(r.assessed),
                    _pct(r.rate),
                    float(r.lost),
                    "达到" if r.passed else "未达到",
                ]
                for r in rows
            ],
        )
    breakdown = []
    for item in scores.city.items:
        breakdown.append(
            [item.code, item.name, "", "", float(item.points), float(item.score), _pct(item.rate), "", "", ""]
        )
        for content in item.children:
            breakdown.append(
                [
                    "",
                    content.code,
                    content.name,
                    "",
                    float(content.points),
                    float(content.score),
                    _pct(content.rate),
                    "",
                    "",
                    "",
                ]
            )
            for x in content.children:
                breakdown.append(
                    [
                        "",
                        "",
                        x.code,
                        x.text,
                        float(x.points),
                        float(x.score) if x.assessed else None,
                        _pct(x.rate),
                        _method_name(x.method),
                        x.reason,
                        " ".join(str(i) for i in x.failed_observations[:50])
                        + (" …" if len(x.failed_observations) > 50 else ""),
                    ]
                )
    sheet(
        "指标明细",
        [
            "项目",
            "内容",
            "标准",
            "标准内容",
            "分值",
            "得分",
            "得分率",
            "测评方法",
            "计分说明",
            "不达标观测编号",
        ],
        breakdown,
    )
    street_rows = []
    for street in scores.streets.values():
        for x in street.lines():
            if x.assessed:
                street_rows.append(
                    [street.name, x.code, x.text, float(x.points), float(x.score), float(x.lost), x.reason]
                )
    sheet("街道明细", ["街道", "标准", "标准内容", "分值", "得分", "失分", "计分说明"], street_rows)
    sheet(
        "最薄弱指标",
        ["标准", "标准内容", "分值", "得分", "失分", "得分率", "计分说明"],
        [
            [x.code, x.text, float(x.points), float(x.score), float(x.lost), _pct(x.rate), x.reason]
            for x in weakest_standards(round, 20, scores=scores)
        ],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def round_report_pdf(round: Round, *, scores: RoundScores | None = None) -> bytes:
    """The round report as PDF (A4): summary, items, street and unit rankings, weakest standards. Chinese in
    reportlab's built-in CID font STSong-Light, as the code labels are printed (codes/printing.py)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    scores = scores or round_scores(round)
    title = ParagraphStyle("t", fontName="STSong-Light", fontSize=16, leading=22, spaceAfter=6)
    heading = ParagraphStyle(
        "h", fontName="STSong-Light", fontSize=12, leading=18, spaceBefore=8, spaceAfter=4
    )
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=8, leading=11)

    def p(value) -> Paragraph:
        return Paragraph(escape(text_clean(str(value))), body)

    def table(header: list[str], rows: list[list], widths: list[float]) -> Table:
        t = Table(
            [[p(h) for h in header], *[[p(v) for v in r] for r in rows]],
            colWidths=[w * mm for w in widths],
            repeatRows=1,
        )
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    story = [Paragraph(escape(f"{round.name} 测评报告"), title)]
    story.append(table(["项目", "值"], _summary_rows(round, scores), [60, 110]))
    story.append(Paragraph("测评项目得分", heading))
    story.append(
        table(
            ["编码", "项目", "分值", "已测评", "得分", "得分率"],
            [[i.code, i.name, i.points, i.assessed, i.score, _pct(i.rate)] for i in scores.city.items],
            [18, 62, 22, 22, 22, 24],
        )
    )
    for label, rows in (
        ("街道排名", street_ranking(round, scores=scores)),
        ("责任单位排名", unit_ranking(round, scores=scores)),
    ):
        story.append(Paragraph(label, heading))
        story.append(
            table(
                ["名次", "名称", "得分", "已测评分值", "得分率", "门槛"],
                [
                    [r.rank, r.name, r.total, r.assessed, _pct(r.rate), "达到" if r.passed else "未达到"]
                    for r in rows
                ],
                [14, 66, 22, 24, 22, 22],
            )
        )
    story.append(Paragraph("最薄弱指标（失分最多）", heading))
    story.append(
        table(
            ["标准", "标准内容", "失分", "计分说明"],
            [[x.code, x.text, x.lost, x.reason] for x in weakest_standards(round, 15, scores=scores)],
            [20, 70, 16, 64],
        )
    )
    story.append(Spacer(1, 4 * mm))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{round.name} 测评报告",
    ).build(story)
    return out.getvalue()
