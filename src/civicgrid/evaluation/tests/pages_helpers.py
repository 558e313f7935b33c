"""A small evaluation world for the page tests.

An edition with one item (公共环境, 10 points) of three field standards for 公园广场 (parks), published; a
round under way today with two sampled sites assigned to 周杰 (inspector):

    北苑广场 (青春山街道, 园林绿化中心 — 陈静's unit)    at 39.615, 109.765
    天骄公园 (天骄街道, 城市管理综合执法局)            at 39.605, 109.795

and a third site of 住建局市政科 (刘洋's unit) that is not in the round. A second inspector, 吴刚, has no
site. Rows are written as the services' tests' fixtures do: the pages are under test here, not the draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.utils import timezone
from shapely.geometry import box

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.core import clock
from civicgrid.evaluation.models import (
    Content,
    DeductionRule,
    Edition,
    EditionStatus,
    Item,
    Method,
    Round,
    RoundSite,
    RoundStatus,
    Site,
    SiteType,
    Standard,
)
from civicgrid.grids.models import Street
from civicgrid.testing import NORTH, PASSWORD

LAT, LON = 39.615, 109.765  # 北苑一格
OTHER_LAT, OTHER_LON = 39.605, 109.795  # 天骄街道


@dataclass
class EvalWorld:
    edition: Edition
    standards: list[Standard]
    park: SiteType
    site: Site
    other_site: Site
    idle_site: Site
    round: Round
    rs: RoundSite
    other_rs: RoundSite
    other_street: Street
    second_inspector: User


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def build(world) -> EvalWorld:
    w = world
    d = w.departments
    other_street = Street(code="150603002", name="天骄街道", district=w.district)
    other_street.set_shape(box(109.79, 39.60, 109.80, 39.62))
    other_street.save()
    edition = Edition.objects.create(name="2026 测评体系", year=2026)
    item = Item.objects.create(edition=edition, code="B2", name="公共环境", position=1)
    content = Content.objects.create(item=item, code="B2.1", name="市容市貌", position=1)
    texts = [
        ("B2.1.1", "地面干净整洁，无暴露垃圾、无卫生死角"),
        ("B2.1.2", "公共设施完好，无破损、无乱贴乱画"),
        ("B2.1.3", "绿化带无杂物，树木无枯死"),
    ]
    standards = [
        Standard.objects.create(
            content=content,
            code=code,
            text=text,
            points=Decimal("3.00"),
            method=Method.FIELD,
            site_types=["park"],
            rule=DeductionRule.PROPORTIONAL,
            position=i,
        )
        for i, (code, text) in enumerate(texts)
    ]
    Edition.objects.filter(pk=edition.pk).update(status=EditionStatus.PUBLISHED, published_at=clock.now())
    edition.refresh_from_db()
    park = SiteType.objects.create(code="park", name="公园广场")
    site = Site.objects.create(
        site_type=park,
        name="北苑广场",
        address="北苑社区东侧",
        lat=LAT,
        lon=LON,
        street=w.street,
        cell=w.cells[NORTH + "001"],
        unit=d["YLZX"],
    )
    other_site = Site.objects.create(
        site_type=park, name="天骄公园", lat=OTHER_LAT, lon=OTHER_LON, street=other_street, unit=d["CGJ"]
    )
    idle_site = Site.objects.create(
        site_type=park, name="南苑游园", lat=39.605, lon=109.765, street=w.street, unit=d["ZJJ_SZ"]
    )
    today = timezone.localdate(clock.now())
    rnd = Round.objects.create(
        edition=edition,
        name="2026 第一轮",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=20),
        seed=2026,
        strata={"per_type": {"park": 2}},
        status=RoundStatus.OPEN,
        created_by=w.admin,
    )
    rs = RoundSite.objects.create(round=rnd, site=site, inspector=w.inspector)
    other_rs = RoundSite.objects.create(round=rnd, site=other_site, inspector=w.inspector)
    second = user_create(phone="13900000010", password=PASSWORD, real_name="吴刚", role=Role.INSPECTOR)
    return EvalWorld(
        edition, standards, park, site, other_site, idle_site, rnd, rs, other_rs, other_street, second
    )
