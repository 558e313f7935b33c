"""Fixtures of the dashboard tests: a known history of cases moved through the real services.

`history(n)` reports `n` cases spread over the last ~100 days (a few of them today), each walked
through the loop as far as its fate says at the moment it would have happened (`clock.at`), then
runs the analytics worker step so the rollups hold them. Fates cover every figure the dashboard
shows: rejected, registered only, dispatched, handled late, reworked, closed, rated, supervised,
long-term, and cases still open past their limit (red lights).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils import timezone

from civicgrid.cases.choices import Action, CaseStatus, Channel, Rating
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case, CasePhoto
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.core import clock
from civicgrid.core.errors import DomainError


@pytest.fixture(autouse=True)
def _photo_storage(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")
    private = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    monkeypatch.setattr(CasePhoto._meta.get_field("original"), "storage", private)


@pytest.fixture
def city(routed_world, categories):
    routed_world.categories = categories
    return routed_world


def refresh_rollups() -> None:
    """What `civicgrid worker` does between two polls: count the new events into the rollups."""
    from civicgrid.analytics import rollups

    while rollups.apply_pending():
        pass


# Categories with a routing rule to a department that has a handler (full loop), and the others.
HANDLED = ("06013", "01003", "04002")
ANY = ("06013", "01003", "04002", "06010", "09006")


def build_history(
    world, count: int, *, seed: int = 5, days: int = 100, today_share: float = 0.1
) -> list[Case]:
    rng = random.Random(seed)
    now = clock.now()
    local_now = timezone.localtime(now)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    handlers = {"ZJJ-SZ": world.roads_handler, "YLZX": world.parks_handler}
    cases = []
    for n in range(count):
        if rng.random() < today_share:
            moment = midnight + (local_now - midnight) * rng.uniform(0.05, 0.6)
        else:
            moment = now - timedelta(days=rng.uniform(1, days), hours=rng.uniform(0, 12))
        code = rng.choice(HANDLED if rng.random() < 0.8 else ANY)
        by_grid = rng.random() < 0.3
        spot = n * 37 % 513  # 27 × 19 distinct points ~100 m apart (never taken for duplicates), spread out
        lat, lon = 39.6005 + spot // 27 * 0.001, 109.7605 + spot % 27 * 0.001
        if 109.783 <= lon <= 109.787 and 39.603 <= lat <= 39.607:
            lon -= 0.005  # not in the lake: the cell to the west
        channel = Channel.GRID if by_grid else (Channel.HOTLINE if rng.random() < 0.15 else Channel.APP)
        reporter = (
            world.grid_member
            if by_grid
            else (world.dispatcher if channel == Channel.HOTLINE else world.citizen)
        )
        submission = Submission(
            description=f"测试案件 {n}",
            lat=lat,
            lon=lon,
            category=world.categories[code],
            channel=channel,
            address="康巴什大街",
        )
        fate = rng.random()
        delays = [rng.lognormvariate(0.5, 1.2) for _ in range(10)]
        with transaction.atomic(), clock.at(moment):
            case = case_submit(reporter=reporter, submission=submission).case
        _play(case, moment, now, fate, delays, world, handlers, recent=(now - moment).days < 21)
        cases.append(case)
    refresh_rollups()
    return cases


def _play(
    case: Case, t: datetime, now: datetime, fate: float, delays: list[float], world, handlers, *, recent: bool
) -> None:
    """Older cases run to the end of their fate; recent ones may still wait at any step."""
    steps = iter(delays)

    def move(action: str, actor, note: str = "", **payload) -> bool:
        nonlocal t
        t = t + timedelta(hours=next(steps, 2.0))
        if t > now:
            return False
        try:
            with transaction.atomic(), clock.at(t):
                case_transition(
                    case=case, action=action, actor=actor, note=note, payload=MoveInput(**payload)
                )
        except DomainError:
            return False
        case.refresh_from_db()
        return True

    if case.status == CaseStatus.MERGED:
        return
    if case.status == CaseStatus.REPORTED:
        if fate < 0.06:
            move(Action.REJECT, world.dispatcher, "不属于城市管理范围")
            return
        if (recent and fate < 0.12) or not move(Action.REGISTER, world.dispatcher):
            return  # some stay waiting to be registered
    if 0.97 < fate:
        move(Action.HANG, world.dispatcher, "暂无法解决，列入挂账")
        return
    if case.routed_department_id is None or not move(Action.DISPATCH, world.dispatcher):
        return
    handler = handlers.get(case.department.code if case.department_id else "")
    if handler is None or (recent and fate < 0.18):
        return  # dispatched, never accepted: the clock runs out (red)
    if not move(Action.ACCEPT, handler):
        return
    if 0.90 < fate <= 0.93:
        move(Action.SUPERVISE, world.leader, "请加快处置")
    if (recent and fate < 0.24) or not move(Action.FEEDBACK, handler, "已处置"):
        return
    if 0.80 < fate <= 0.86:
        if not move(Action.REWORK, world.dispatcher, "未处置到位") or not move(
            Action.FEEDBACK, handler, "已重新处置"
        ):
            return
    if (
        (recent and fate < 0.30)
        or not move(Action.VERIFY, world.dispatcher)
        or not move(Action.CLOSE, world.dispatcher)
    ):
        return
    if case.reporter_id == world.citizen.pk and fate > 0.4:
        rating = Rating.UNSATISFIED if fate > 0.88 else Rating.BASICALLY if fate > 0.7 else Rating.SATISFIED
        move(Action.RATE, world.citizen, "评价", rating=rating)


@pytest.fixture
def history(city):
    """The test city with 60 cases of known history (rollups current)."""
    city.cases = build_history(city, 60)
    return city
