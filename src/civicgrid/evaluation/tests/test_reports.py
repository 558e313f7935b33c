"""Rankings, trend, weakest standards and the round report (xlsx, PDF) read the scores as they are."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl

from civicgrid.evaluation.models import Result, RoundSite, Site
from civicgrid.evaluation.reports import (
    round_report_pdf,
    round_report_xlsx,
    street_ranking,
    trend,
    unit_ranking,
    weakest_standards,
)
from civicgrid.evaluation.tests.helpers import second_street
from civicgrid.evaluation.tests.score_helpers import observe, open_round, small_edition


def two_streets(world):
    edition, s = small_edition()
    rnd, (one, two) = open_round(edition, world)
    east = second_street(world)
    site = Site.objects.create(
        site_type=one.site.site_type,
        name='=HYPERLINK("x")',
        lat=39.61,
        lon=109.80,
        street=east,
        unit=world.departments["CGJ"],
    )
    three = RoundSite.objects.create(round=rnd, site=site, inspector=world.inspector)
    return edition, s, rnd, (one, two, three), east


def test_rankings_follow_the_rate_and_change_with_a_reinspection(world):
    edition, s, rnd, (one, two, three), east = two_streets(world)
    i = world.inspector
    failed = observe(one, s["litter"], Result.FAIL, i)
    observe(two, s["litter"], Result.FAIL, i)
    observe(three, s["litter"], Result.FAIL, i)
    observe(three, s["ads"], Result.PASS, i)
    streets = street_ranking(rnd)
    # 青春山: litter 4 − 2 = 2 of 4 (50 %); 滨河: litter 3 + ads 2 = 5 of 6 (83 %)
    assert [(r.rank, r.name, r.total) for r in streets] == [
        (1, east.name, Decimal("5.00")),
        (2, world.street.name, Decimal("2.00")),
    ]
    units = unit_ranking(rnd)
    assert units[0].name == world.departments["CGJ"].name
    assert units[1].rate == units[2].rate and units[1].rank == units[2].rank == 2

    observe(one, s["litter"], Result.PASS, i, reinspects=failed)
    observe(two, s["litter"], Result.PASS, i, reinspects=two.observations.get(result=Result.FAIL))
    streets = street_ranking(rnd)
    assert [(r.rank, r.name, r.total) for r in streets] == [
        (1, world.street.name, Decimal("4.00")),
        (2, east.name, Decimal("5.00")),
    ]


def test_weakest_standards_and_trend(world):
    edition, s, rnd, (one, two, three), east = two_streets(world)
    i = world.inspector
    for rs in (one, two, three):
        observe(rs, s["litter"], Result.FAIL, i)
        observe(rs, s["ads"], Result.PASS if rs is one else Result.FAIL, i)
    weakest = weakest_standards(rnd, n=5)
    assert [x.code for x in weakest] == ["A1.1", "A1.2"]  # litter lost 3 of 4, ads 1.33 of 2
    assert weakest[0].lost == Decimal("3.00") and len(weakest[0].failed_observations) == 3
    assert weakest_standards(rnd, n=1)[0].code == "A1.1"

    later, _ = open_round(edition, world, sites=1)
    later.starts_on = rnd.starts_on + timedelta(days=30)
    later.save(update_fields=["starts_on"])
    observe(later.sites.get(), s["litter"], Result.PASS, i)
    points = trend(edition=edition)
    assert [p.round_id for p in points] == [rnd.pk, later.pk]
    assert points[0].rate < points[1].rate == Decimal("1")


def test_the_round_report_xlsx_has_the_breakdown_and_no_formulas(world):
    edition, s, rnd, (one, two, three), east = two_streets(world)
    observe(one, s["litter"], Result.FAIL, world.inspector)
    observe(three, s["ads"], Result.PASS, world.inspector)
    book = openpyxl.load_workbook(io.BytesIO(round_report_xlsx(rnd)))
    assert book.sheetnames == ["总览", "街道排名", "责任单位排名", "指标明细", "街道明细", "最薄弱指标"]
    summary = {row[0]: row[1] for row in book["总览"].iter_rows(values_only=True)}
    assert summary["总分"] == 5.0 and summary["已测评指标分值"] == 6.0
    breakdown = list(book["指标明细"].iter_rows(values_only=True))
    litter = next(r for r in breakdown if r[2] == "A1.1")
    assert litter[5] == 3.0 and "1 处不达标" in litter[8]
    docs = next(r for r in breakdown if r[2] == "B1.1")
    assert docs[5] is None and "未测评" in docs[8]
    names = [r[1] for r in book["责任单位排名"].iter_rows(values_only=True)] + [
        r[0] for r in book["街道明细"].iter_rows(values_only=True)
    ]
    assert all(not str(n).startswith("=") for n in names)


def test_the_round_report_pdf(world):
    edition, s, rnd, (one, two, three), east = two_streets(world)
    observe(one, s["litter"], Result.FAIL, world.inspector)
    pdf = round_report_pdf(rnd)
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf and len(pdf) > 2000
