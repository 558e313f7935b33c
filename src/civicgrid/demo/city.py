"""The demo city: 鄂尔多斯市康巴什区 (Kangbashi) as a realistic, deterministic test bed.

Everything is keyed by code or phone number and written with update_or_create, so building the
city twice changes nothing the second time. The random generator is seeded, so every machine
builds the same city.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from shapely.geometry import box

from civicgrid.accounts.models import Department, DepartmentKind, User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.demo.open311 import build_open311_attributes
from civicgrid.demo.scope import build_command_centres
from civicgrid.grids import index
from civicgrid.grids.models import Cell, CellMember, Community, District, Street
from civicgrid.grids.services import cell_member_assign, grid_revision_bump
from civicgrid.taxonomy.choices import ClockUnit, Step, Urgency
from civicgrid.taxonomy.csvio import categories_import
from civicgrid.taxonomy.models import Category, RoutingRule, TimeLimit

SEED = 20220627
DEMO_PASSWORD = "civicgrid-demo"
DISTRICT_CODE = "150603"
# The built-up area of Kangbashi, west→east and south→north (WGS-84).
WEST, EAST, SOUTH, NORTH = 109.72, 109.86, 39.57, 39.64
CELL_DEG = 0.005  # ≈ 430 m × 555 m: the "万米单元网格" scale, a little larger

STREETS = [
    ("001", "哈巴格希街道", "JD-HBGX", ["团结社区", "文化社区", "市府社区", "宝日陶亥社区"]),
    ("002", "青春山街道", "JD-QCS", ["康城社区", "青春山社区", "华泰社区", "兰亭社区"]),
    ("003", "滨河街道", "JD-BH", ["滨河社区", "康和社区", "乌兰社区", "阳光社区"]),
    ("004", "康新街道", "JD-KX", ["康新社区", "康泰社区", "园丁社区", "鑫海社区"]),
]

# (code, name, kind, parent code)
DEPARTMENTS = [
    ("ZHZX", "城市服务指挥中心", DepartmentKind.CENTRE, None),
    ("CGJ", "城市管理综合执法局", DepartmentKind.BUREAU, None),
    ("CGJ-SR", "城管局市容环卫科", DepartmentKind.SECTION, "CGJ"),
    ("CGJ-ZF1", "城管执法一中队", DepartmentKind.SECTION, "CGJ"),
    ("CGJ-ZF2", "城管执法二中队", DepartmentKind.SECTION, "CGJ"),
    ("ZJJ", "住房和城乡建设局", DepartmentKind.BUREAU, None),
    ("ZJJ-SZ", "住建局市政设施管理处", DepartmentKind.SECTION, "ZJJ"),
    ("ZJJ-WY", "住建局物业管理科", DepartmentKind.SECTION, "ZJJ"),
    ("JTJ", "交通运输局", DepartmentKind.BUREAU, None),
    ("JJDD", "公安局交通管理大队", DepartmentKind.BUREAU, None),
    ("GAJ", "公安分局", DepartmentKind.BUREAU, None),
    ("SCJ", "市场监督管理局", DepartmentKind.BUREAU, None),
    ("HBJ", "生态环境分局", DepartmentKind.BUREAU, None),
    ("YLZX", "园林绿化中心", DepartmentKind.BUREAU, None),
    ("ZRZY", "自然资源分局", DepartmentKind.BUREAU, None),
    ("SLJ", "水利局", DepartmentKind.BUREAU, None),
    ("YJJ", "应急管理局", DepartmentKind.BUREAU, None),
    ("WLJ", "文化旅游体育局", DepartmentKind.BUREAU, None),
    ("XFDD", "消防救援大队", DepartmentKind.BUREAU, None),
    ("GRGS", "供热公司", DepartmentKind.ENTERPRISE, None),
    ("ZLS", "自来水公司", DepartmentKind.ENTERPRISE, None),
    ("GDGS", "供电公司", DepartmentKind.ENTERPRISE, None),
    ("RQGS", "燃气公司", DepartmentKind.ENTERPRISE, None),
    ("TXB", "通信运营商联合办公室", DepartmentKind.ENTERPRISE, None),
    ("GJGS", "公交公司", DepartmentKind.ENTERPRISE, None),
    ("HWGS", "环卫公司", DepartmentKind.ENTERPRISE, None),
    *[
        (dept, name.replace("街道", "街道办事处"), DepartmentKind.STREET_OFFICE, None)
        for _, name, dept, _ in STREETS
    ],
]

# Keyword in a category's name → department, checked in order (first match wins). Components and
# their "…异常" matters share names, so one table serves both.
NAME_ROUTES = [
    ("燃气", "RQGS"),
    ("热力", "GRGS"),
    ("供热", "GRGS"),
    ("供水", "ZLS"),
    ("中水", "ZLS"),
    ("消火栓", "XFDD"),
    ("消防", "XFDD"),
    ("电力", "GDGS"),
    ("变压器", "GDGS"),
    ("配电", "GDGS"),
    ("通信", "TXB"),
    ("电视", "TXB"),
    ("网络", "TXB"),
    ("电缆", "TXB"),
    ("线缆", "TXB"),
    ("公安", "GAJ"),
    ("监控", "GAJ"),
    ("信号灯", "JJDD"),
    ("交通标志", "JJDD"),
    ("交通护栏", "JJDD"),
    ("机动车乱停放", "JJDD"),
    ("园林", "YLZX"),
    ("公交", "GJGS"),
    ("停车", "JTJ"),
    ("桥", "JTJ"),
    ("隧道", "JTJ"),
    ("公厕", "HWGS"),
    ("公共厕所", "HWGS"),
    ("垃圾", "HWGS"),
    ("积雪", "HWGS"),
    ("道路不洁", "HWGS"),
    ("油烟", "HBJ"),
    ("噪声", "HBJ"),
    ("扬尘", "HBJ"),
    ("露天烧烤", "CGJ-ZF1"),
    ("私搭乱建", "CGJ-ZF1"),
    ("违法建设", "CGJ-ZF1"),
    ("无证建设", "CGJ-ZF1"),
    ("占道经营", "CGJ-ZF2"),
    ("店外经营", "CGJ-ZF2"),
    ("游商", "CGJ-ZF2"),
    ("广告", "CGJ-SR"),
    ("牌匾", "CGJ-SR"),
    ("文物", "WLJ"),
    ("健身", "WLJ"),
    ("河", "SLJ"),
    ("水域", "SLJ"),
]
# Major class → department, for everything the names above do not decide.
MAJOR_ROUTES = {
    "01": "ZJJ-SZ",
    "02": "JTJ",
    "03": "CGJ-SR",
    "04": "YLZX",
    "05": "ZJJ",
    "06": "CGJ-SR",
    "07": "CGJ-SR",
    "08": "ZJJ",
    "09": "CGJ-ZF2",
    "10": "YJJ",
}
# Street-level matters (市容环境类) go first to the street office of the street where they happen.
STREET_MATTER_MAJORS = ["06"]
URGENT_WORDS = ["燃气", "积雪", "塌陷", "架空线缆"]
AUTO_DISPATCH_WORDS = ["满溢", "暴露垃圾", "道路不洁"]
# Enforcement matters: a reply to them cites its legal basis (replyquality hints).
LEGAL_BASIS_WORDS = [
    "占道经营",
    "店外经营",
    "违法建设",
    "私搭乱建",
    "违章",
    "噪声扰民",
    "露天烧烤",
    "非法",
    "违规",
]

DEFAULT_LIMITS = {  # hours, per urgency: normal in working hours, urgent in natural hours
    Urgency.NORMAL: {Step.REGISTER: 2, Step.DISPATCH: 1, Step.HANDLE: 21, Step.VERIFY: 4, Step.CLOSE: 2},
    Urgency.URGENT: {
        Step.REGISTER: "0.5",
        Step.DISPATCH: "0.5",
        Step.HANDLE: 4,
        Step.VERIFY: 2,
        Step.CLOSE: 1,
    },
}
# Local 处置 limits for a few matters (examples after published 立案结案标准; working hours).
CATEGORY_HANDLE_LIMITS = {"06010": 7, "06012": 5, "06011": 28, "06001": 105, "06042": 4, "07001": 7}

PERSONAS = [  # phone, name, role, department code
    ("13800000000", "系统管理员", Role.ADMIN, None),
    ("13800000001", "张伟", Role.DISPATCHER, "ZHZX"),
    ("13800000002", "刘洋", Role.HANDLER, "ZJJ-SZ"),
    ("13800000003", "陈静", Role.HANDLER, "YLZX"),
    ("13800000004", "孙丽", Role.DEPARTMENT_ADMIN, "CGJ"),
    ("13800000005", "周杰", Role.INSPECTOR, None),
    ("13800000006", "赵敏", Role.LEADER, None),
    ("13800000007", "李强", Role.GRID_MEMBER, None),
    ("13800000008", "王芳", Role.CITIZEN, None),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏宇浩然欣怡子轩梓涵一诺雨泽思远佳琪晨曦文博嘉怡"
)


@dataclass
class DemoSummary:
    streets: int = 0
    communities: int = 0
    cells: int = 0
    departments: int = 0
    categories: int = 0
    routing_rules: int = 0
    users: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@transaction.atomic
def build_grid() -> None:
    district, _ = District.objects.update_or_create(code=DISTRICT_CODE, defaults={"name": "康巴什区"})
    district.set_shape(box(WEST, SOUTH, EAST, NORTH))
    district.save()
    columns = round((EAST - WEST) / CELL_DEG)
    rows = round((NORTH - SOUTH) / CELL_DEG)
    per_street = columns // len(STREETS)
    row_bands = [(0, 4), (4, 8), (8, 11), (11, rows)]  # north → south, four communities per street
    for s, (street_no, street_name, _dept, communities) in enumerate(STREETS):
        c0, c1 = s * per_street, (s + 1) * per_street if s < len(STREETS) - 1 else columns
        street, _ = Street.objects.update_or_create(
            code=DISTRICT_CODE + street_no, defaults={"name": street_name, "district": district}
        )
        street.set_shape(box(WEST + c0 * CELL_DEG, SOUTH, WEST + c1 * CELL_DEG, NORTH))
        street.save()
        for k, (r0, r1) in enumerate(row_bands):
            community, _ = Community.objects.update_or_create(
                code=street.code + f"{k + 1:03d}", defaults={"name": communities[k], "street": street}
            )
            community.set_shape(
                box(WEST + c0 * CELL_DEG, NORTH - r1 * CELL_DEG, WEST + c1 * CELL_DEG, NORTH - r0 * CELL_DEG)
            )
            community.save()
            seq = 0
            for r in range(r0, r1):  # numbered west → east, north → south (DB11 rule)
                for c in range(c0, c1):
                    seq += 1
                    code = community.code + f"{seq:03d}"
                    cell = Cell.objects.filter(code=code).first() or Cell(code=code)
                    cell.name = f"{communities[k]}{seq:02d}号网格"
                    cell.community, cell.street = community, street
                    geom = box(
                        WEST + c * CELL_DEG,
                        NORTH - (r + 1) * CELL_DEG,
                        WEST + (c + 1) * CELL_DEG,
                        NORTH - r * CELL_DEG,
                    )
                    cell.set_shape(geom)
                    cell.area_m2 = round(geom.area * 111_320 * 0.770 * 110_574)  # cos(39.6°) ≈ 0.770
                    cell.land_use = "居住用地" if (r + c) % 3 else "公共管理与公共服务用地"
                    cell.save()
    grid_revision_bump()
    transaction.on_commit(index.invalidate)


@transaction.atomic
def build_departments() -> None:
    by_code: dict[str, Department] = {}
    for code, name, kind, parent in DEPARTMENTS:
        by_code[code], _ = Department.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "parent": by_code.get(parent) if parent else None,
                "phone": "0477-83" + f"{len(by_code):05d}",
            },
        )


@transaction.atomic
def build_taxonomy() -> None:
    from civicgrid.taxonomy.management.commands.load_categories import DEFAULT

    categories_import(DEFAULT.read_text(encoding="utf-8"))
    for cat in Category.objects.all():
        urgent = any(word in cat.name for word in URGENT_WORDS)
        auto = any(word in cat.name for word in AUTO_DISPATCH_WORDS)
        legal = cat.kind == "matter" and any(word in cat.name for word in LEGAL_BASIS_WORDS)
        new = (Urgency.URGENT if urgent else Urgency.NORMAL, auto, legal)
        if (cat.default_urgency, cat.auto_dispatch, cat.needs_legal_basis) != new:
            cat.default_urgency, cat.auto_dispatch, cat.needs_legal_basis = new
            cat.save(update_fields=["default_urgency", "auto_dispatch", "needs_legal_basis"])
    for urgency, steps in DEFAULT_LIMITS.items():
        unit = ClockUnit.NATURAL_HOURS if urgency == Urgency.URGENT else ClockUnit.WORKING_HOURS
        for step, hours in steps.items():
            TimeLimit.objects.update_or_create(
                category=None,
                step=step,
                urgency=urgency,
                defaults={"hours": Decimal(str(hours)), "unit": unit},
            )
    for code, hours in CATEGORY_HANDLE_LIMITS.items():
        cat = Category.objects.get(kind="matter", code=code)
        TimeLimit.objects.update_or_create(
            category=cat,
            step=Step.HANDLE,
            urgency=Urgency.NORMAL,
            defaults={"hours": Decimal(hours), "unit": ClockUnit.WORKING_HOURS},
        )


def department_for(category: Category) -> str:
    for word, dept in NAME_ROUTES:
        if word in category.name:
            return dept
    return MAJOR_ROUTES[category.major_code]


@transaction.atomic
def build_routing() -> None:
    """A rule for every category, plus street-office rules for street-level matters."""
    departments = {d.code: d for d in Department.objects.all()}
    rules = []
    for major, dept in MAJOR_ROUTES.items():
        rules.append(RoutingRule(major_code=major, department=departments[dept], note="大类默认"))
    for cat in Category.objects.all():
        dept = department_for(cat)
        if dept != MAJOR_ROUTES[cat.major_code]:
            rules.append(
                RoutingRule(
                    kind=cat.kind,
                    category=cat,
                    major_code=cat.major_code,
                    department=departments[dept],
                    note="按名称",
                )
            )
    for street_no, _name, dept, _ in STREETS:
        for major in STREET_MATTER_MAJORS:
            rules.append(
                RoutingRule(
                    kind="matter",
                    major_code=major,
                    area_code=DISTRICT_CODE + street_no,
                    department=departments[dept],
                    note="属地街道",
                )
            )

    def scope(r: RoutingRule) -> tuple:
        return r.kind, r.category_id or 0, r.major_code, r.area_code, r.department_id, r.note

    if sorted(map(scope, RoutingRule.objects.all())) != sorted(map(scope, rules)):
        RoutingRule.objects.all().delete()  # the demo owns its rule table; rebuilding keeps it exact
        RoutingRule.objects.bulk_create(rules)


@transaction.atomic
def build_accounts() -> list[tuple[str, str, str]]:
    """The demo personas plus a handler for every department and a grid member for every community."""
    rng = random.Random(SEED)
    departments = {d.code: d for d in Department.objects.all()}
    existing = {u.phone: u for u in User.objects.all()}
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: hundreds of accounts, one slow hash
    accounts = []

    def ensure(phone: str, name: str, role: str, dept: str | None) -> User:
        user = existing.get(phone)
        if user is None:
            user = user_create(
                phone=phone, real_name=name, role=role, department=departments.get(dept) if dept else None
            )
            user.password = password_hash
            user.save(update_fields=["password"])
        return user

    for phone, name, role, dept in PERSONAS:
        ensure(phone, name, role, dept)
        accounts.append((Role(role).label, phone, name + (f" ({departments[dept].name})" if dept else "")))
    for i, (code, *_rest) in enumerate(DEPARTMENTS):
        ensure(f"1381000{i:04d}", person_name(rng), Role.HANDLER, code)
    grid_member = User.objects.get(phone="13800000007")
    for i, community in enumerate(Community.objects.order_by("code")):
        member = (
            grid_member if i == 0 else ensure(f"1382000{i:04d}", person_name(rng), Role.GRID_MEMBER, None)
        )
        staffed = set(CellMember.objects.filter(cell__community=community).values_list("cell_id", flat=True))
        for cell in community.cells.order_by("code"):
            if cell.pk not in staffed:
                cell_member_assign(cell=cell, user=member)
    for i in range(200):  # citizens who will report
        ensure(f"1590000{i:04d}", person_name(rng), Role.CITIZEN, None)
    return accounts


def build_city() -> DemoSummary:
    build_grid()
    build_departments()
    build_taxonomy()
    build_routing()
    build_open311_attributes()
    accounts = build_accounts()
    accounts += build_command_centres(DEMO_PASSWORD)
    return DemoSummary(
        streets=Street.objects.count(),
        communities=Community.objects.count(),
        cells=Cell.objects.count(),
        departments=Department.objects.count(),
        categories=Category.objects.count(),
        routing_rules=RoutingRule.objects.count(),
        users=User.objects.count(),
        accounts=accounts,
    )
