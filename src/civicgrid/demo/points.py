"""Points of the demo city: believable balances and a public display (晾晒) with records on it.

Everything goes through the points services, as it would have happened (`core.clock.at`): volunteer
hours over the past months, a few honours nominated, reviewed and awarded, and uncivil behaviour
recorded by the inspector weeks ago (its appeal window long past, so the display shows it). Source
keys and the records' notes make a second run add nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.core import clock
from civicgrid.grids.models import Cell
from civicgrid.points import services
from civicgrid.points.choices import UncivilBehaviour
from civicgrid.points.models import Honour, PointsEntry, UncivilRecord

VOLUNTEERING = ["社区环境清扫", "文明交通劝导", "敬老院探访", "垃圾分类宣传", "防汛值守", "图书馆志愿服务"]
HONOURS = [("热心市民", "多次及时上报井盖缺失、路灯损坏等安全隐患，协助网格员现场核实。")]
UNCIVIL = [
    (UncivilBehaviour.LITTERING, "康巴什大街与青春山路路口"),
    (UncivilBehaviour.PARKING, "市府广场东侧人行道"),
    (UncivilBehaviour.DOG, "滨河公园北门"),
    (UncivilBehaviour.EBIKE, "康和路非机动车道"),
    (UncivilBehaviour.SPITTING, "文化中心公交站"),
    (UncivilBehaviour.NOISE, "康新社区 3 号楼"),
]
DEMO_NOTE = "演示数据"  # the uncivil records this module wrote (their note)
FIRST_CITIZEN = "13800000008"  # 王芳, the demo's citizen account


@transaction.atomic
def build_points(*, seed: int = 11, people: int = 40, first_phone: str = FIRST_CITIZEN) -> int:
    """Volunteer hours for the first demo citizens, an honour for 王芳, and uncivil records on the
    public display; returns how many ledger entries were added."""
    rng = random.Random(seed)
    now = clock.now()
    before = PointsEntry.objects.count()
    citizens = list(User.objects.filter(role=Role.CITIZEN).order_by("id")[:people])
    first = User.objects.filter(phone=first_phone, role=Role.CITIZEN).first()
    if first is not None and first not in citizens:
        citizens.insert(0, first)
    for person in citizens:
        sessions = 4 if person == first else rng.randint(0, 3)
        for k in range(sessions):
            hours = 3 if person == first else rng.choice([1, 2, 2, 3, 4])
            with clock.at(now - timedelta(days=rng.randint(5, 150), hours=rng.randint(0, 10))):
                services.volunteer_hours_award(
                    person=person,
                    hours=hours,
                    source_key=f"demo:volunteer:{person.pk}:{k}",
                    note=rng.choice(VOLUNTEERING),
                    source_id=f"demo-{person.pk}-{k}",
                )
    _honour(first, now)
    _uncivil(rng, [c for c in citizens if c != first], now)
    return PointsEntry.objects.count() - before


def _honour(person: User | None, now) -> None:
    if person is None or Honour.objects.filter(nominee=person).exists():
        return
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()
    nominator = User.objects.filter(role=Role.GRID_MEMBER, is_active=True).order_by("id").first()
    if admin is None:
        return
    title, citation = HONOURS[0]
    with clock.at(now - timedelta(days=40)):
        honour = services.honour_nominate(
            nominee=person, nominated_by=nominator, title=title, citation=citation
        )
        honour = services.honour_review(honour=honour, reviewer=admin, approve=True, note="事迹属实")
        services.honour_award(honour=honour, actor=admin)


def _uncivil(rng: random.Random, people: list[User], now) -> None:
    inspector = User.objects.filter(role=Role.INSPECTOR, is_active=True).order_by("id").first()
    cells = list(Cell.objects.order_by("code")[:200])
    if inspector is None or not cells or UncivilRecord.objects.filter(note=DEMO_NOTE).exists():
        return
    chosen = rng.sample(people, min(len(UNCIVIL), len(people)))
    for (behaviour, address), person in zip(UNCIVIL[: len(chosen)], chosen, strict=True):
        cell = rng.choice(cells)
        with clock.at(now - timedelta(days=rng.randint(15, 60), hours=rng.randint(0, 12))):
            services.uncivil_record_create(
                inspector=inspector,
                person=person,
                behaviour=behaviour,
                lat=(cell.min_lat + cell.max_lat) / 2,
                lon=(cell.min_lon + cell.max_lon) / 2,
                address=address,
                note=DEMO_NOTE,
            )
    services.uncivil_confirm_due(now)  # their appeal windows have passed
