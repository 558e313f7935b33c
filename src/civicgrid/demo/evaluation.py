"""The demo city's civilized-city evaluation (文明城市测评): an edition shaped like the national system, its
sites over the demo streets, a closed round with its scores and an open one under way.

The edition is data: the tables below name the items with their points (100 basic + 20 feature), the
contents with their method, deduction rule and the site types they apply to, and the checks; the
standards are generated from them (check × site type for field contents) and an item's points are shared
evenly among its standards. The configuration, the draw, the material reviews, the questionnaire answers
and the open round's observations go through the services; the closed round's observations (a few
thousand) are written in bulk to keep the demo build fast — that round is over, its rectification done.
Running it twice adds nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.core.files.base import ContentFile
from django.db import transaction

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Role
from civicgrid.core import clock
from civicgrid.evaluation import indicators, sampling
from civicgrid.evaluation.inspection import observation_record, standards_for
from civicgrid.evaluation.materials import material_review, material_submit
from civicgrid.evaluation.models import (
    Content,
    DeductionRule,
    Edition,
    GateRule,
    Method,
    NegativeItem,
    Observation,
    Questionnaire,
    Result,
    RoundSite,
    Site,
    SiteType,
    Standard,
)
from civicgrid.evaluation.negatives import incident_record
from civicgrid.evaluation.questionnaires import questionnaire_answer
from civicgrid.grids.models import Cell, Street

DEMO_EDITION = "全国文明城市测评体系（演示版）"
SITE_TYPES = [
    ("road", "主次干道"),
    ("lane", "背街小巷"),
    ("market", "农贸市场"),
    ("park", "公园广场"),
    ("estate", "居民小区"),
    ("window", "公共服务窗口"),
    ("school", "学校周边"),
    ("cross", "交通路口"),
    ("hospital", "医院"),
    ("station", "车站"),
]
# code, name, points, feature item (特色指标)
ITEMS = [
    ("A", "公共秩序", 20, False),
    ("B", "公共环境", 25, False),
    ("C", "公共服务", 20, False),
    ("D", "未成年人思想道德建设", 15, False),
    ("E", "志愿服务", 10, False),
    ("F", "诚信建设", 10, False),
    ("G", "特色：草原生态文明", 10, True),
    ("H", "特色：民族团结进步", 10, True),
]
F, M, Q = Method.FIELD, Method.MATERIAL, Method.QUESTIONNAIRE
PF, AN, PR = DeductionRule.PER_FAILURE, DeductionRule.ALL_OR_NOTHING, DeductionRule.PROPORTIONAL
# item, content, method, rule, site types (field), checks
CONTENTS = [
    (
        "A",
        "交通秩序",
        F,
        PR,
        ["road", "cross", "school", "hospital", "station", "lane", "market", "park"],
        [
            "机动车按标线停放、不占用人行道",
            "非机动车有序停放",
            "行人和非机动车遵守交通信号",
            "无机动车乱鸣笛",
            "交通标志标线清晰完好",
        ],
    ),
    (
        "A",
        "公共场所秩序",
        F,
        PF,
        ["market", "window", "hospital", "station", "park", "estate", "school"],
        [
            "排队秩序良好、无插队",
            "无大声喧哗、无吸烟",
            "安全通道畅通、消防设施完好",
            "无流动摊贩、无强买强卖",
        ],
    ),
    (
        "A",
        "社会治安",
        M,
        PR,
        [],
        ["社会治安防控体系建设方案及落实台账", "矛盾纠纷排查化解记录", "群防群治队伍建设材料"],
    ),
    (
        "B",
        "市容市貌",
        F,
        PF,
        ["road", "lane", "market", "park", "estate", "station", "cross", "school", "hospital"],
        [
            "无乱堆乱放、乱搭乱建",
            "无乱贴乱画、乱扯乱挂",
            "店外经营、占道经营得到治理",
            "公益广告不少于规定数量（300 米内）",
            "户外广告牌匾规范、无破损",
        ],
    ),
    (
        "B",
        "环境卫生",
        F,
        PF,
        ["road", "lane", "park", "estate", "hospital", "market", "station", "window", "school"],
        [
            "地面无垃圾杂物、无积存污水",
            "公厕干净整洁、无异味",
            "垃圾分类设施完好、分类投放",
            "绿化带无垃圾、无黄土裸露",
        ],
    ),
    ("B", "生态环境", M, PR, [], ["大气污染防治工作台账", "河湖长制落实材料"]),
    (
        "C",
        "窗口服务",
        F,
        PF,
        ["window", "hospital", "station"],
        [
            "设置便民服务设施（饮水、座椅、老花镜）",
            "服务人员挂牌上岗、文明用语",
            "办事指南公开、流程清晰",
            "无障碍设施完好可用",
        ],
    ),
    ("C", "公共文化服务", M, PR, [], ["公共文化设施免费开放记录", "全民阅读活动材料"]),
    (
        "C",
        "群众满意度",
        Q,
        PR,
        [],
        ["市民对公共服务的满意度", "市民对市容环境的满意度", "市民对公共秩序的满意度"],
    ),
    (
        "D",
        "校园周边环境",
        F,
        AN,
        ["school"],
        [
            "学校周边 200 米内无网吧、娱乐场所",
            "上下学时段有护学岗",
            "周边无售卖三无食品",
            "校门口交通秩序良好",
        ],
    ),
    (
        "D",
        "工作机制",
        M,
        PR,
        [],
        ["未成年人思想道德建设工作方案", "家庭教育指导服务材料", "校外活动场所免费开放记录"],
    ),
    (
        "E",
        "志愿服务站点",
        F,
        PR,
        ["park", "station", "window", "market", "estate", "hospital", "road"],
        ["设有志愿服务站（岗）并有志愿者在岗", "志愿服务标识醒目"],
    ),
    ("E", "志愿服务制度化", M, PR, [], ["志愿者注册及服务时长记录", "志愿服务激励回馈制度"]),
    (
        "F",
        "诚信经营",
        F,
        PF,
        ["market", "window"],
        ["明码标价、计量准确", "公示诚信经营承诺", "无假冒伪劣商品"],
    ),
    ("F", "社会信用体系", M, PR, [], ["信用信息归集共享材料", "失信联合惩戒案例"]),
    (
        "G",
        "生态保护宣传",
        F,
        PR,
        ["park", "estate", "road", "lane", "market"],
        ["草原生态保护宣传到位", "节水节能宣传到位"],
    ),
    (
        "H",
        "民族团结宣传",
        F,
        PR,
        ["road", "window", "park", "station", "estate", "market", "hospital", "school"],
        ["民族团结进步宣传阵地规范", "蒙汉双语标识规范"],
    ),
    ("H", "民族团结创建", M, PR, [], ["民族团结进步创建工作台账"]),
]
GATES = [("D", "0.6", "未成年人思想道德建设得分率不低于 60%"), (None, "0.6", "总得分率不低于 60%")]
NEGATIVES = [
    ("N1", "重大安全生产事故", "2", "5"),
    ("N2", "重大食品药品安全事件", "2", "4"),
    ("N3", "严重失信事件被主流媒体曝光", "1", "3"),
]
SITES_PER_TYPE = 15  # 10 types × 15 ≈ 150 sites
CENT = Decimal("0.01")


def _standards_spec() -> list[tuple]:
    """(item, content, code, text, method, rule, site types) for every standard, in order."""
    out, n = [], 0
    for item, content, method, rule, types, checks in CONTENTS:
        for check in checks:
            for site_type in types or [None]:
                n += 1
                label = dict(SITE_TYPES).get(site_type)
                text = f"【{label}】{check}" if label else check
                out.append((item, content, f"S{n:03d}", text, method, rule, [site_type] if site_type else []))
    return out


def _points(spec: list[tuple]) -> list[Decimal]:
    """Each item's points shared evenly among its standards (the last takes the cents left over)."""
    per_item: dict[str, list[int]] = {}
    for k, row in enumerate(spec):
        per_item.setdefault(row[0], []).append(k)
    out = [Decimal(0)] * len(spec)
    for code, _name, points, _local in ITEMS:
        ks = per_item[code]
        share = (Decimal(points) / len(ks)).quantize(CENT, ROUND_DOWN)
        for k in ks:
            out[k] = share
        out[ks[-1]] = Decimal(points) - share * (len(ks) - 1)
    return out


def build_edition(admin: User) -> Edition:
    edition = indicators.edition_create(name=DEMO_EDITION, year=clock.now().year, actor=admin)
    items = {
        code: indicators.item_add(edition=edition, code=code, name=name, local=local, actor=admin)
        for code, name, _points, local in ITEMS
    }
    contents: dict[tuple[str, str], Content] = {}
    for k, (item, name, *_rest) in enumerate(CONTENTS):
        contents[(item, name)] = indicators.content_add(
            item=items[item], code=f"{item}{k + 1:02d}", name=name, actor=admin
        )
    spec = _standards_spec()
    rows = []
    for (item, content, code, text, method, rule, types), points in zip(spec, _points(spec), strict=True):
        rows.append(
            Standard(
                content=contents[(item, content)],
                code=code,
                text=text,
                points=points,
                method=method,
                rule=rule,
                site_types=types,
                deduction=(points / 2).quantize(CENT) if rule == PF else None,
                position=int(code[1:]),
            )
        )
    Standard.objects.bulk_create(rows)  # a draft edition: the rows are checked here, as the import does
    for item, rate, description in GATES:
        GateRule.objects.create(
            edition=edition, item=items.get(item), min_rate=Decimal(rate), description=description
        )
    for code, name, deduction, cap in NEGATIVES:
        NegativeItem.objects.create(
            edition=edition, code=code, name=name, deduction=Decimal(deduction), cap=Decimal(cap)
        )
    return indicators.edition_publish(edition=edition, actor=admin)


def build_sites(rng: random.Random, admin: User) -> int:
    types = {}
    for code, name in SITE_TYPES:
        types[code] = SiteType.objects.filter(code=code).first() or indicators.site_type_create(
            code=code, name=name, actor=admin
        )
    if Site.objects.exists():
        return 0
    streets = list(Street.objects.order_by("code"))
    offices = {d.code: d for d in Department.objects.all()}
    street_office = {
        s.pk: next((d for c, d in offices.items() if "JD" in c and s.name[:2] in d.name), None)
        for s in streets
    }
    units = [d for d in offices.values() if d.kind != "centre"] or list(offices.values())
    added = 0
    for code, name in SITE_TYPES:
        for k in range(SITES_PER_TYPE):
            street = streets[k % len(streets)]
            cells = list(Cell.objects.filter(street=street).order_by("code")[:60])
            cell = rng.choice(cells) if cells else None
            lat, lon = (
                ((cell.min_lat + cell.max_lat) / 2, (cell.min_lon + cell.max_lon) / 2)
                if cell
                else (39.61, 109.78)
            )
            unit = street_office.get(street.pk) if code in ("lane", "estate") else None
            indicators.site_create(
                name=f"{street.name}{name}{k + 1}号点",
                site_type=types[code],
                lat=lat,
                lon=lon,
                street=street,
                unit=unit or rng.choice(units),
                cell=cell,
                actor=admin,
            )
            added += 1
    return added


def _round(edition: Edition, admin: User, inspector: User, name: str, starts, ends, seed: int):
    rnd = sampling.round_create(
        edition=edition,
        name=name,
        starts_on=starts,
        ends_on=ends,
        seed=seed,
        strata={"share": 0.4, "min": 1},
        actor=admin,
    )
    drawn = sampling.round_draw(round=rnd, actor=admin)
    sampling.round_assign(round=rnd, inspector=inspector, sites=drawn, actor=admin)
    return sampling.round_open(round=rnd, actor=admin), drawn


def build_closed_round(rng: random.Random, edition: Edition, admin: User, inspector: User) -> int:
    now = clock.now()
    starts = (now - timedelta(days=75)).date()
    with clock.at(now - timedelta(days=75)):
        rnd, drawn = _round(
            edition, admin, inspector, "第三季度模拟测评", starts, starts + timedelta(days=20), 2026
        )
    quality = {street: rng.uniform(0.6, 0.9) for street in {rs.site.street_id for rs in drawn}}
    at = now - timedelta(days=70)
    rows = []
    for rs in RoundSite.objects.filter(round=rnd).select_related("site"):
        for standard in standards_for(rs):
            ok = rng.random() < quality[rs.site.street_id]
            rows.append(
                Observation(
                    round_site=rs,
                    standard=standard,
                    result=Result.PASS if ok else Result.FAIL,
                    observed_at=at,
                    inspector=inspector,
                    lat=rs.site.lat,
                    lon=rs.site.lon,
                    distance_m=0.0,
                )
            )
    Observation.objects.bulk_create(rows, batch_size=2000)
    RoundSite.objects.filter(round=rnd).update(visited_at=at)
    with clock.at(now - timedelta(days=65)):
        _materials(rng, rnd, edition, inspector)
        _answers(rng, rnd, edition)
        item = NegativeItem.objects.get(edition=edition, code="N3")
        street = Street.objects.order_by("code").first()
        incident_record(
            round=rnd,
            item=item,
            street=street,
            occurred_on=starts + timedelta(days=5),
            description="某商户虚假宣传被曝光（演示）",
            actor=inspector,
        )
    with clock.at(now - timedelta(days=50)):
        sampling.round_close(round=rnd, actor=admin)
    return len(rows)


def _materials(rng: random.Random, rnd, edition: Edition, reviewer: User) -> None:
    standards = list(Standard.objects.filter(content__item__edition=edition, method=Method.MATERIAL))
    staff = {}
    for user in (
        User.objects.filter(role__in=[Role.HANDLER, Role.DEPARTMENT_ADMIN], is_active=True)
        .exclude(department=None)
        .order_by("id")
    ):
        staff.setdefault(user.department_id, user)
    for _unit, person in list(staff.items())[:4]:
        for standard in standards:
            sub = material_submit(
                round=rnd,
                standard=standard,
                unit=person.department,
                actor=person,
                files=[ContentFile(b"%PDF-1.4 demo", name="台账.pdf")],
                note="演示材料",
            )
            score = (standard.points * Decimal(rng.randint(60, 100)) / 100).quantize(CENT)
            material_review(submission=sub, reviewer=reviewer, score=score, comment="材料基本齐全")


def _answers(rng: random.Random, rnd, edition: Edition) -> None:
    now = clock.now()
    streets = list(Street.objects.order_by("code"))
    q = Questionnaire.objects.create(
        round=rnd,
        title="市民文明城市创建满意度调查",
        intro="匿名填写，约 1 分钟",
        groups=[{"code": "resident", "name": "居民"}, {"code": "visitor", "name": "外来人员"}],
        quotas={s.code: {"resident": 20, "visitor": 5} for s in streets},
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
    )
    for k, standard in enumerate(
        Standard.objects.filter(content__item__edition=edition, method=Method.QUESTIONNAIRE)
    ):
        q.questions.create(
            standard=standard,
            text=f"您对{standard.text.removeprefix('市民对').removesuffix('的满意度')}满意吗？",
            position=k,
        )
    questions = list(q.questions.all())
    n = 0
    for street in streets:
        for group, count in (("resident", 12), ("visitor", 3)):
            for _ in range(count):
                n += 1
                questionnaire_answer(
                    questionnaire=q,
                    street=street,
                    group=group,
                    respondent=f"demo-device-{n}",
                    answers={x.pk: str(rng.choices([2, 3, 4, 5], [1, 2, 4, 3])[0]) for x in questions},
                )


def build_open_round(rng: random.Random, edition: Edition, admin: User, inspector: User) -> int:
    today = clock.now().date()
    rnd, drawn = _round(
        edition, admin, inspector, "第四季度测评", today - timedelta(days=3), today + timedelta(days=25), 2027
    )
    written = 0
    for rs in RoundSite.objects.filter(round=rnd).select_related("site", "round").order_by("id")[:6]:
        for standard in standards_for(rs)[:8]:
            observation_record(
                round_site=rs,
                standard=standard,
                result=Result.FAIL if rng.random() < 0.2 else Result.PASS,
                inspector=inspector,
                lat=rs.site.lat,
                lon=rs.site.lon,
                note="演示",
            )
            written += 1
    return written


@transaction.atomic
def build_evaluation(*, seed: int = 18) -> str:
    """The demo edition, sites and two rounds; a one-line summary."""
    if Edition.objects.filter(name=DEMO_EDITION).exists():
        return "already built"
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()
    inspector = User.objects.filter(role=Role.INSPECTOR, is_active=True).order_by("id").first()
    if admin is None or inspector is None or not Street.objects.exists():
        return "skipped (no administrator, inspector or street)"
    rng = random.Random(seed)
    edition = build_edition(admin)
    sites = build_sites(rng, admin)
    closed = build_closed_round(rng, edition, admin, inspector)
    open_obs = build_open_round(rng, edition, admin, inspector)
    standards = Standard.objects.filter(content__item__edition=edition).count()
    return (
        f"{standards} standards in {len(ITEMS)} items, {sites} sites, a closed round ({closed} observations) "
        f"and an open one ({open_obs} observations so far)"
    )
