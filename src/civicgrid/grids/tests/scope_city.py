"""The test city with two-level command (市–区/街道): a second street in 康巴什区, a second district, cases
in each street, and a district's and a street's command centre.

    lon 109.76 ........ 109.79 ..... 109.80 ..... 109.81
        | 青春山街道 150603001 | 滨河街道 150603002 | 交通街道 150602001 |
        |------------ 康巴什区 150603 -----------| -- 东胜区 150602 -- |
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry import box

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.grids import index
from civicgrid.grids.models import Cell, Community, District, Street
from civicgrid.grids.services import command_area_assign, grid_revision_bump
from civicgrid.testing import PASSWORD, _area

QCS, BINHE, JIAOTONG = "150603001", "150603002", "150602001"
# Two points per street, far apart (never duplicates): (lat, lon)
POINTS = {
    QCS: [(39.615, 109.765), (39.605, 109.775)],
    BINHE: [(39.615, 109.795), (39.605, 109.795)],
    JIAOTONG: [(39.615, 109.805), (39.605, 109.805)],
}
# Which streets each command level sees.
SEES = {"city": {QCS, BINHE, JIAOTONG}, "district": {QCS, BINHE}, "street": {QCS}}


@dataclass
class ScopedCity:
    world: object
    streets: dict[str, Street]
    # per street: one case waiting to be registered, one registered (waiting to be dispatched)
    new: dict[str, Case] = field(default_factory=dict)
    registered: dict[str, Case] = field(default_factory=dict)
    dispatchers: dict[str, User] = field(default_factory=dict)
    leaders: dict[str, User] = field(default_factory=dict)

    def numbers(self, streets: set[str], *, which: str = "all") -> set[str]:
        out = set()
        for code in streets:
            if which in ("all", "new"):
                out.add(self.new[code].number)
            if which in ("all", "registered"):
                out.add(self.registered[code].number)
        return out


def build_scoped_city(world, categories) -> ScopedCity:
    district = world.district
    district.set_shape(box(109.76, 39.60, 109.80, 39.62))
    district.save()
    binhe = _area(Street, BINHE, "滨河街道", box(109.79, 39.60, 109.80, 39.62), district=district)
    binhe_c = _area(Community, BINHE + "001", "滨河社区", box(109.79, 39.60, 109.80, 39.62), street=binhe)
    _area(
        Cell, BINHE + "001001", "滨河一格", box(109.79, 39.60, 109.80, 39.62), community=binhe_c, street=binhe
    )
    dongsheng = _area(District, "150602", "东胜区", box(109.80, 39.60, 109.81, 39.62))
    jiaotong = _area(Street, JIAOTONG, "交通街道", box(109.80, 39.60, 109.81, 39.62), district=dongsheng)
    jt_c = _area(Community, JIAOTONG + "001", "交通社区", box(109.80, 39.60, 109.81, 39.62), street=jiaotong)
    _area(
        Cell,
        JIAOTONG + "001001",
        "交通一格",
        box(109.80, 39.60, 109.81, 39.62),
        community=jt_c,
        street=jiaotong,
    )
    grid_revision_bump()
    index.invalidate()
    city = ScopedCity(world=world, streets={QCS: world.street, BINHE: binhe, JIAOTONG: jiaotong})
    for code, (first, second) in POINTS.items():
        city.new[code] = _report(world.citizen, first, categories["06013"], f"{code} 路面坑洞")
        case = _report(world.citizen, second, categories["06013"], f"{code} 井盖缺失")
        case_transition(case=case, action="register", actor=world.dispatcher, payload=MoveInput())
        case.refresh_from_db()
        city.registered[code] = case

    def person(phone: str, name: str, role: str, area: str) -> User:
        user = user_create(
            phone=phone, password=PASSWORD, real_name=name, role=role, department=world.departments["ZHZX"]
        )
        return command_area_assign(user=user, code=area)

    city.dispatchers = {
        "city": world.dispatcher,
        "district": person("13900000021", "区受理员", Role.DISPATCHER, district.code),
        "street": person("13900000022", "街道受理员", Role.DISPATCHER, QCS),
    }
    city.leaders = {
        "city": world.leader,
        "district": person("13900000023", "区领导", Role.LEADER, district.code),
        "street": person("13900000024", "街道领导", Role.LEADER, QCS),
    }
    return city


def _report(reporter, point, category, description) -> Case:
    submission = Submission(description=description, lat=point[0], lon=point[1], category=category)
    return case_submit(reporter=reporter, submission=submission).case
