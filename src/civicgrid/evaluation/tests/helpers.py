"""A small evaluation to test against: two streets, three site types, a published edition, a drawn round."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from shapely.geometry import box

from civicgrid.evaluation import services
from civicgrid.evaluation.models import (
    Content,
    DeductionRule,
    Edition,
    Item,
    Method,
    Round,
    RoundSite,
    Site,
    SiteType,
    Standard,
)
from civicgrid.grids.models import Street
from civicgrid.testing import World

SH = ZoneInfo("Asia/Shanghai")
METRES_PER_DEGREE_LAT = 111_320.0


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def north_of(lat: float, lon: float, metres: float) -> tuple[float, float]:
    return lat + metres / METRES_PER_DEGREE_LAT, lon


def jpeg(name: str = "p.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (200, 40, 40)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@dataclass
class Evaluation:
    world: World
    east: Street
    types: dict[str, SiteType]
    edition: Edition
    item: Item
    content: Content
    litter: Standard  # field, road + market, per failure, mapped to a case category
    signs: Standard  # field, road only, all or nothing, no category
    files: Standard  # material
    sites: list[Site]
    round: Round | None = None

    def round_site(self, site_type: str = "road") -> RoundSite:
        return (
            RoundSite.objects.filter(round=self.round, site__site_type__code=site_type)
            .select_related("site", "round")
            .order_by("pk")
            .first()
        )


def second_street(world: World) -> Street:
    street = Street(code="150603002", name="滨河街道", district=world.district)
    street.set_shape(box(109.79, 39.60, 109.82, 39.62))
    street.save()
    return street


def site_types() -> dict[str, SiteType]:
    return {
        code: SiteType.objects.create(code=code, name=name)
        for code, name in [("road", "主次干道"), ("market", "农贸市场"), ("park", "公园广场")]
    }


def build(world: World, categories: dict, *, draw: bool = True, seed: int = 42) -> Evaluation:
    """Two streets × (3 roads, 2 markets, 1 park); a published edition of three standards; a round
    drawing 2 roads and 1 market per street, assigned to the inspector and open (when `draw`)."""
    admin = world.admin
    east = second_street(world)
    types = site_types()
    edition = services.edition_create(name="2026 测评体系", year=2026, actor=admin)
    item = services.item_add(edition=edition, code="A", name="公共环境", actor=admin)
    content = services.content_add(item=item, code="A1", name="市容市貌", actor=admin)
    litter = services.standard_add(
        content=content,
        code="A1.1",
        text="路面无暴露垃圾",
        points=Decimal("2"),
        method=Method.FIELD,
        rule=DeductionRule.PER_FAILURE,
        deduction=Decimal("0.5"),
        site_types=["road", "market"],
        category=categories["06010"],
        actor=admin,
    )
    signs = services.standard_add(
        content=content,
        code="A1.2",
        text="公益广告设置规范",
        points=Decimal("1"),
        method=Method.FIELD,
        rule=DeductionRule.ALL_OR_NOTHING,
        site_types=["road"],
        actor=admin,
    )
    files = services.standard_add(
        content=content,
        code="A1.3",
        text="建立市容管理制度",
        points=Decimal("1"),
        method=Method.MATERIAL,
        rule=DeductionRule.PROPORTIONAL,
        actor=admin,
    )
    services.edition_publish(edition=edition, actor=admin)
    edition.refresh_from_db()
    d = world.departments
    sites = []
    for street, lon0 in ((world.street, 109.765), (east, 109.795)):
        for n, (kind, unit) in enumerate(
            [("road", "ZJJ_SZ")] * 3 + [("market", "YLZX")] * 2 + [("park", "YLZX")]
        ):
            sites.append(
                services.site_create(
                    name=f"{street.name}{types[kind].name}{n + 1}",
                    site_type=types[kind],
                    lat=39.605 + n * 0.002,
                    lon=lon0,
                    street=street,
                    unit=d[unit],
                    actor=admin,
                )
            )
    ev = Evaluation(world, east, types, edition, item, content, litter, signs, files, sites)
    if draw:
        ev.round = services.round_create(
            edition=edition,
            name="2026 年第一轮",
            starts_on=date(2026, 11, 1),
            ends_on=date(2026, 11, 30),
            seed=seed,
            strata={"per_type": {"road": 2, "market": 1}},
            actor=admin,
        )
        drawn = services.round_draw(round=ev.round, actor=admin)
        services.round_assign(round=ev.round, inspector=world.inspector, sites=drawn, actor=admin)
        services.round_open(round=ev.round, actor=admin)
        ev.round.refresh_from_db()
    return ev


def at_site(round_site: RoundSite, metres: float = 20.0) -> dict[str, float]:
    lat, lon = north_of(round_site.site.lat, round_site.site.lon, metres)
    return {"lat": lat, "lon": lon}
