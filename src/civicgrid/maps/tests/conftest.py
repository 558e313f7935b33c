"""Fixtures of the map tests: a known set of cases written in bulk (the map only reads them), and the codes.

Cases are inserted with `bulk_create` rather than through intake: the map is a read model, and a few
hundred reports through the service would cost seconds per test. Each row has what intake would
set for the map's purposes (number, place, cell/community/street, category, status, clock).
"""

from __future__ import annotations

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


STATUS_CYCLE = [CaseStatus.REPORTED, CaseStatus.REGISTERED, CaseStatus.DISPATCHED, CaseStatus.ACCEPTED,
                CaseStatus.HANDLED, CaseStatus.CLOSED, CaseStatus.CLOSED, CaseStatus.ACCEPTED]


def bulk_cases(world, categories, n: int, *, start: int = 0, days_back: int = 20, public_every: int = 4,
               south: bool = False) -> list[Case]:
    """n cases spread over the north community (or the south-west cell), one every few hours back from NOW.

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
        created = NOW - timedelta(hours=(i * 7) % (days_back * 24) + 1)
        timed = status not in (CaseStatus.CLOSED,)
        due = (NOW - timedelta(days=1)) if i % 3 == 0 else (NOW + timedelta(days=1))
        rows.append(Case(
            number=f"{created:%Y%m%d}{90000 + i:05d}", kind="complaint", channel="app", category=cats[i % 3],
            description=f"测试案件 {i}", address=f"青春山路 {i} 号", lat=lat, lon=lon, cell=cell,
            community=community, street=world.street, reporter=world.citizen, is_public=(i % public_every != 0),
            status=status, created_at=created, due_at=due if timed else None,
            warn_at=(due - timedelta(hours=4)) if timed else None, step="handle" if timed else "",
            closed_at=created + timedelta(hours=5) if status == CaseStatus.CLOSED else None,
        ))
    cases = Case.objects.bulk_create(rows)
    # The REPORT event of each case, as intake writes it (the rollups and the map's version read events).
    CaseEvent.objects.bulk_create([
        CaseEvent(case=c, action="report", from_status="", to_status=CaseStatus.REPORTED, actor=world.citizen,
                  actor_role="citizen", created_at=c.created_at) for c in cases])
    return cases


@pytest.fixture
def spread(world, categories, frozen) -> Spread:
    return Spread(bulk_cases(world, categories, 60))
