"""Fixtures of the map tests: a known set of cases written in bulk (the map only reads them), and the codes.

Cases are inserted with `bulk_create` rather than through intake: the map is a read model, and a few
hundred reports through the service would cost seconds per test. Each row has what intake would
set for the map's purposes (number, place, cell/community/street, category, status, clock).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.codes.tests.conftest import codes, people  # noqa: F401  (the codes app's fixtures, reused)

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=SH)  # Friday afternoon
# Inside the test city's north community (three cells side by side, 109.76–109.79 × 39.61–39.62).
NORTH_BOX = "109.76,39.61,109.79,39.62"
CITY_BOX = "109.75,39.59,109.80,39.63"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@dataclass
class Spread:
    cases: list[Case]

    def where(self, **conditions) -> list[Case]:
        return [c for c in self.cases if all(getattr(c, k) == v for k, v in conditions.items())]


STATUS_CYCLE = [
    CaseStatus.REPORTED,
    CaseStatus.REGISTERED,
    CaseStatus.DISPATCHED,
    CaseStatus.ACCEPTED,
    CaseStatus.HANDLED,
    CaseStatus.CLOSED,
    CaseStatus.CLOSED,
    CaseStatus.ACCEPTED,
]


def bulk_cases(
    world,
    categories,
    n: int,
    *,
    start: int = 0,
    days_back: int = 20,
    public_every: int = 4,
    south: bool = False,
    now: datetime = NOW,
) -> list[Case]:
    """n cases spread over the north community (or the south-west cell), one every few hours back from `now`.

    Every `public_every`-th case is not public; statuses cycle through STATUS_CYCLE; open cases whose
    index is a multiple of 3 are overdue (due yesterday), the others due tomorrow.
    """
    cats = [categories["06013"], categories["06010"], categories["01003"]]
    rows = []
    for i in range(start, start + n):
        if south:
            lon, lat = 109.7605 + (i % 9) * 0.001, 39.6005 + (i // 9 % 9) * 0.001
            cell = world.cells["150603001002001"]
            community = world.south
        else:
            lon = 109.7605 + (i % 29) * 0.001
            lat = 39.6105 + (i // 29 % 9) * 0.001
            cell = world.cells["150603001001" + ("001" if lon < 109.77 else "002" if lon < 109.78 else "003")]
            community = world.north
        status = STATUS_CYCLE[i % len(STATUS_CYCLE)]
        created = now - timedelta(hours=(i * 7) % (days_back * 24) + 1)
        timed = status not in (CaseStatus.CLOSED,)
        due = (now - timedelta(days=1)) if i % 3 == 0 else (now + timedelta(days=1))
        rows.append(
            Case(
                number=f"{created:%Y%m%d}{90000 + i:05d}",
                kind="complaint",
                channel="app",
                category=cats[i % 3],
                description=f"测试案件 {i}",
                address=f"青春山路 {i} 号",
                lat=lat,
                lon=lon,
                cell=cell,
                community=community,
                street=world.street,
                reporter=world.citizen,
                is_public=(i % public_every != 0),
                status=status,
                created_at=created,
                due_at=due if timed else None,
                warn_at=(due - timedelta(hours=4)) if timed else None,
                step="handle" if timed else "",
                closed_at=created + timedelta(hours=5) if status == CaseStatus.CLOSED else None,
            )
        )
    return _insert(world, rows)


def scatter_cases(world, categories, n: int, *, now: datetime, seed: int = 7) -> list[Case]:
    """n cases scattered over the whole test city around a few hot spots, over the last 60 days."""
    from civicgrid.grids.index import locate

    rng = random.Random(seed)
    spots = [
        (39.6165, 109.7655, 0.004),
        (39.6045, 109.7745, 0.003),
        (39.6130, 109.7840, 0.004),
        (39.6060, 109.7625, 0.002),
    ]
    cats = list(categories.values())
    statuses = STATUS_CYCLE + [CaseStatus.VERIFIED, CaseStatus.RETURNED, CaseStatus.LONG_TERM]
    rows = []
    i = 0
    while len(rows) < n:
        i += 1
        lat0, lon0, spread_ = spots[i % len(spots)] if rng.random() < 0.75 else (39.61, 109.775, 0.012)
        lat, lon = rng.gauss(lat0, spread_ / 2), rng.gauss(lon0, spread_)
        cell = locate(lat, lon)
        if cell is None:
            continue
        status = rng.choice(statuses)
        created = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 60))
        timed = status not in (CaseStatus.CLOSED, CaseStatus.LONG_TERM)
        due = created + timedelta(days=rng.choice([1, 3, 10]))
        rows.append(
            Case(
                number=f"{created:%Y%m%d}{80000 + i:05d}",
                kind="complaint",
                channel="app",
                category=rng.choice(cats),
                description=f"市民反映的问题 {i}",
                address=f"康巴什区 {cell.name} 附近",
                lat=lat,
                lon=lon,
                cell=cell,
                community_id=cell.community_id,
                street_id=cell.street_id,
                reporter=world.citizen,
                is_public=rng.random() < 0.8,
                status=status,
                created_at=created,
                due_at=due if timed else None,
                warn_at=(due - timedelta(hours=6)) if timed else None,
                step="handle" if timed else "",
                me_too_count=rng.choice([0] * 12 + [1, 2, 4]),
                closed_at=created + timedelta(hours=20) if status == CaseStatus.CLOSED else None,
            )
        )
    return _insert(world, rows)


def _insert(world, rows: list[Case]) -> list[Case]:
    cases = Case.objects.bulk_create(rows)
    # The REPORT event of each case, as intake writes it (the rollups and the map's version read events).
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case=c,
                action="report",
                from_status="",
                to_status=CaseStatus.REPORTED,
                actor=world.citizen,
                actor_role="citizen",
                created_at=c.created_at,
            )
            for c in cases
        ]
    )
    return cases


@pytest.fixture
def spread(world, categories, frozen) -> Spread:
    return Spread(bulk_cases(world, categories, 60))
