"""A small edition and round for the scoring, material and questionnaire tests, built on the models."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from civicgrid.core import clock
from civicgrid.evaluation.models import (
    Content,
    DeductionRule,
    Edition,
    Item,
    Method,
    Observation,
    Questionnaire,
    Round,
    RoundSite,
    RoundStatus,
    Site,
    SiteType,
    Standard,
)


def small_edition(**kwargs) -> tuple[Edition, dict[str, Standard]]:
    """公共环境 (two field standards), 公共服务 (a material and a questionnaire standard)."""
    edition = Edition.objects.create(name=kwargs.get("name", "测试体系"), year=2026)
    env = Item.objects.create(edition=edition, code="A", name="公共环境", position=1)
    svc = Item.objects.create(edition=edition, code="B", name="公共服务", position=2)
    c_env = Content.objects.create(item=env, code="A1", name="市容环境")
    c_svc = Content.objects.create(item=svc, code="B1", name="窗口服务")
    standards = {
        "litter": Standard.objects.create(
            content=c_env,
            code="A1.1",
            text="无乱堆乱放",
            points=Decimal("4.00"),
            method=Method.FIELD,
            site_types=["road"],
            rule=DeductionRule.PER_FAILURE,
            deduction=Decimal("1.00"),
            position=1,
        ),
        "ads": Standard.objects.create(
            content=c_env,
            code="A1.2",
            text="公益广告规范",
            points=Decimal("2.00"),
            method=Method.FIELD,
            site_types=["road", "market"],
            rule=DeductionRule.PROPORTIONAL,
            position=2,
        ),
        "docs": Standard.objects.create(
            content=c_svc,
            code="B1.1",
            text="制度台账齐全",
            points=Decimal("3.00"),
            method=Method.MATERIAL,
            rule=DeductionRule.PROPORTIONAL,
            position=1,
        ),
        "satisfied": Standard.objects.create(
            content=c_svc,
            code="B1.2",
            text="群众满意度",
            points=Decimal("5.00"),
            method=Method.QUESTIONNAIRE,
            rule=DeductionRule.PROPORTIONAL,
            position=2,
        ),
    }
    return edition, standards


def open_round(edition: Edition, world, *, sites: int = 2) -> tuple[Round, list[RoundSite]]:
    today = clock.now().date()
    road, _ = SiteType.objects.get_or_create(code="road", defaults={"name": "主次干道"})
    rnd = Round.objects.create(
        edition=edition,
        name="第一轮",
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=10),
        seed=7,
        status=RoundStatus.OPEN,
        created_by=world.admin,
    )
    units = [world.departments["ZJJ_SZ"], world.departments["YLZX"]]
    drawn = []
    for k in range(sites):
        site = Site.objects.create(
            site_type=road,
            name=f"测试点位{k + 1}",
            lat=39.61,
            lon=109.77,
            street=world.street,
            unit=units[k % 2],
        )
        drawn.append(RoundSite.objects.create(round=rnd, site=site, inspector=world.inspector))
    return rnd, drawn


def observe(
    round_site: RoundSite, standard: Standard, result: str, inspector, reinspects=None
) -> Observation:
    return Observation.objects.create(
        round_site=round_site,
        standard=standard,
        result=result,
        observed_at=clock.now(),
        inspector=inspector,
        lat=39.61,
        lon=109.77,
        distance_m=0,
        reinspects=reinspects,
    )


def questionnaire(rnd: Round, street, standard: Standard, *, quota: int = 2) -> Questionnaire:
    now = clock.now()
    q = Questionnaire.objects.create(
        round=rnd,
        title="市民满意度调查",
        groups=[{"code": "resident", "name": "居民"}, {"code": "visitor", "name": "游客"}],
        quotas={street.code: {"resident": quota, "visitor": 1}},
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=5),
    )
    q.questions.create(standard=standard, text="您对市容环境满意吗？", kind="scale", position=1)
    q.questions.create(text="您的年龄段", kind="choice", choices=["18-40", "41-60", "60+"], position=2)
    q.questions.create(text="意见建议", kind="text", position=3)
    return q


def a_date(days: int = 0) -> date:
    return clock.now().date() + timedelta(days=days)
