"""A year of case history for the demo city, produced by the real service layer.

Every case is submitted with `case_submit` and moved with `case_transition` at the moment it
would have happened (`core.clock.at`), so the rows, events, deadlines, on-time flags and
notifications are exactly those the platform writes in production. Cases are tagged with
`source_ref = "demo:<n>"`, which makes the build idempotent: an existing tag is skipped.

The texts are those people write (demo/texts.py): each case its own, in the style of its channel,
mentioning its address. As in a real city, a citizen sometimes picks a neighbouring category, which
the dispatcher corrects at 立案 (the registered category is the true one), and a dispatcher sometimes
sends a case to the wrong department (one that handles a category it is confused with), which returns
it; the case is then dispatched where the routing rules say. The department that finally handles a
case is the one its category and place route to. These draws come from their own generator, so the
rest of the history does not depend on them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.cases.choices import Action, CaseKind, CaseStatus, Channel, Rating
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.demo import texts
from civicgrid.demo.calibration import CALM, Profile
from civicgrid.demo.texts import COMMON
from civicgrid.grids.models import Cell
from civicgrid.notifications.models import Notification
from civicgrid.taxonomy.models import Category
from civicgrid.taxonomy.routing import route_case

STOPPABLE = [
    Action.REGISTER,
    Action.DISPATCH,
    Action.ACCEPT,
    Action.FEEDBACK,
    Action.VERIFY,
    Action.CLOSE,
    Action.RATE,
]


@dataclass
class Cast:
    dispatcher: User
    leader: User
    citizens: list[User]
    grid_members: list[User]
    handlers_by_department: dict[int, list[User]]


def _cast() -> Cast:
    handlers: dict[int, list[User]] = {}
    for user in User.objects.filter(role=Role.HANDLER).order_by("id"):
        handlers.setdefault(user.department_id, []).append(user)
    return Cast(
        dispatcher=User.objects.get(phone="13800000001"),
        leader=User.objects.get(phone="13800000006"),
        citizens=list(User.objects.filter(role=Role.CITIZEN).order_by("id")),
        grid_members=list(User.objects.filter(role=Role.GRID_MEMBER).order_by("id")),
        handlers_by_department=handlers,
    )


def build_history(
    count: int,
    *,
    seed: int = 2026,
    now: datetime | None = None,
    profile: Profile = CALM,
    days: int = 365,
    progress=None,
) -> int:
    """Make sure `count` demo cases exist (spread over the past year); returns how many were added.

    `profile`: how the city works (demo/calibration.py); `progress(done, count)` is called now and then."""
    rng = random.Random(seed)
    side = random.Random(f"{seed}:texts")  # texts, intake mistakes, dispatch mistakes
    now = now or timezone.now()
    existing = set(Case.objects.filter(source_ref__startswith="demo:").values_list("source_ref", flat=True))
    categories = {(c.kind, c.code): c for c in Category.objects.filter(active=True)}
    for c in categories.values():
        texts.ensure(c)
    common = [(categories[(k, code)], w, text) for k, code, w, text in COMMON if (k, code) in categories]
    cells = list(Cell.objects.order_by("code").only("id", "code", "min_lon", "min_lat", "max_lon", "max_lat"))
    busy = rng.sample(cells, k=max(1, len(cells) // 6))  # some places see far more trouble
    cast = _cast()
    added = 0
    for n in range(count):
        # Every case draws the same random numbers whether or not it is skipped: stable output.
        plan = rng.random()
        moment = now - timedelta(days=rng.random() ** 0.8 * days, hours=rng.uniform(-6, 6))
        moment = moment.replace(hour=rng.choice(range(7, 22)), minute=rng.randrange(60))
        category, _w, text = rng.choices(common, weights=[w for _, w, _ in common])[0]
        cell = rng.choice(busy) if rng.random() < 0.5 else rng.choice(cells)
        lat = rng.uniform(cell.min_lat + 1e-5, cell.max_lat - 1e-5)
        lon = rng.uniform(cell.min_lon + 1e-5, cell.max_lon - 1e-5)
        by_grid_member = rng.random() < 0.3
        reporter = rng.choice(cast.grid_members if by_grid_member else cast.citizens)
        fate = rng.random()
        draws = [rng.gauss(0.0, 1.0) for _ in range(8)]  # the steps' durations (profile.hours)
        # Recent cases are still under way: some stop before one of the steps (every state appears).
        stop_roll, stop_choice = rng.random(), rng.choice(STOPPABLE)
        stop = profile.stop((now - moment).total_seconds() / 86400, stop_roll, stop_choice)
        tag = f"demo:{n}"
        kind = CaseKind.HELP if plan < 0.1 else CaseKind.COMPLAINT
        channel = Channel.GRID if by_grid_member else (Channel.HOTLINE if plan > 0.9 else Channel.APP)
        address = texts.address_text(side)
        text = texts.report_text(
            category.kind, category.code, side, style=texts.style_for(channel), case_kind=kind, place=address
        )
        # A citizen may pick a neighbouring category; a grid member's report is registered as reported.
        picked = texts.intake_category(category.kind, category.code, side)
        if channel == Channel.GRID or picked not in categories:
            picked = (category.kind, category.code)
        mistake, which = side.random() < 0.05, side.random()  # the first dispatch goes to a wrong department
        if progress is not None and n and n % 250 == 0:
            progress(n, count)
        if tag in existing or moment > now:
            continue
        submission = Submission(
            description=text,
            lat=lat,
            lon=lon,
            kind=kind,
            channel=channel,
            category=categories[picked],
            address=address,
            source_ref=tag,
        )
        if submission.channel == Channel.HOTLINE:
            reporter = cast.dispatcher
        with transaction.atomic(), clock.at(moment):
            # One transaction per case: a demo build is not the place to pay one fsync per move.
            case = case_submit(reporter=reporter, submission=submission).case
            wrong = _wrong_department(case, category, categories, which) if mistake else None
            _play(case, moment, now, fate, draws, cast, rng, stop, profile, category=category, wrong=wrong)
        added += 1
    # Historical notifications were delivered long ago; only today's are left for the worker.
    Notification.objects.filter(processed_at__isnull=True, created_at__lt=now - timedelta(days=1)).update(
        processed_at=F("created_at")
    )
    return added


def _wrong_department(case: Case, category: Category, categories: dict, which: float):
    """The department of a category people confuse `category` with, at the case's place, if it is
    another one; else None. `which` (0–1) chooses among them (drawn for every case, skipped or not)."""
    cell = case.cell.code if case.cell_id else None
    right = route_case(category, cell)
    options = []
    for key in texts.neighbours(category.kind, category.code):
        if key in categories:
            department = route_case(categories[key], cell)
            if department is not None and department != right and department not in options:
                options.append(department)
    return options[int(which * len(options))] if options else None


def _play(
    case: Case,
    moment: datetime,
    now: datetime,
    fate: float,
    draws: list[float],
    cast: Cast,
    rng: random.Random,
    stop: str | None,
    profile: Profile = CALM,
    *,
    category: Category | None = None,
    wrong=None,
) -> None:
    """Walk the case through the loop as far as its fate and the present allow. `category`: the
    true category, registered if the report came with another; `wrong`: a department the first
    dispatch goes to by mistake (it returns the case, which is dispatched again by the rules)."""
    t = moment
    step = iter(draws)

    def move(action: str, actor: User | None, note: str = "", **payload) -> bool:
        nonlocal t
        code = case.department.code if case.department_id else None
        t = t + timedelta(hours=profile.hours(action, next(step, 0.0), code))
        if t > now or profile.stops(action, stop, case.due_at, now):
            return False
        try:
            with clock.at(t):
                case_transition(
                    case=case, action=action, actor=actor, note=note, payload=MoveInput(**payload)
                )
        except DomainError:
            return False
        case.refresh_from_db()
        return True

    if case.status == CaseStatus.MERGED:
        return
    dispatcher = cast.dispatcher
    if case.status == CaseStatus.REPORTED:
        if fate < 0.05:
            move(Action.REJECT, dispatcher, "经核实不属于城市管理范围")
            return
        corrected = category if category is not None and category != case.category else None
        if not move(Action.REGISTER, dispatcher, category=corrected):
            return
    if fate > 1 - profile.hang_share:
        move(Action.HANG, dispatcher, "涉及规划调整，暂无法解决，列入挂账")
        return
    if (
        wrong is not None
        and case.status == CaseStatus.REGISTERED
        and cast.handlers_by_department.get(wrong.pk)
    ):
        # 派遣有误: the department returns it, and the dispatcher sends it where the rules say.
        if not move(Action.DISPATCH, dispatcher, department=wrong):
            return
        returner = cast.handlers_by_department[wrong.pk][0]  # not drawn: the rest stays as it was
        if not move(Action.RETURN, returner, "不属于本部门职责，请重新派遣"):
            return
    if case.status in (CaseStatus.REGISTERED, CaseStatus.RETURNED):
        if case.routed_department_id is None or not move(Action.DISPATCH, dispatcher):
            return
    handlers = cast.handlers_by_department.get(case.department_id) or [None]
    handler = rng.choice(handlers)
    if handler is None:
        return
    if fate > 0.95 and move(Action.RETURN, handler, "不属于本部门职责，请重新派遣"):
        if not move(Action.DISPATCH, dispatcher):
            return
        handler = rng.choice(cast.handlers_by_department.get(case.department_id) or [handler])
    if case.status == CaseStatus.DISPATCHED and not move(Action.ACCEPT, handler):
        return
    if 0.90 < fate <= 0.93:
        move(Action.SUPERVISE, cast.leader, "请加快处置")
    if 0.85 < fate <= 0.90 and move(Action.REQUEST_EXTENSION, handler, "需协调施工队", hours="7"):
        move(Action.APPROVE_EXTENSION, dispatcher, "同意延期")
    if not move(Action.FEEDBACK, handler, "已处置完毕，现场已恢复"):
        return
    if 0.80 < fate <= 0.85:
        if not move(Action.REWORK, dispatcher, "现场核查未处置到位"):
            return
        if not move(Action.FEEDBACK, handler, "已重新处置"):
            return
    if not move(Action.VERIFY, dispatcher) or not move(Action.CLOSE, dispatcher):
        return
    if case.reporter_id and case.reporter.role == Role.CITIZEN and rng.random() < 0.7:
        roll = rng.random()
        rating = Rating.SATISFIED if roll < 0.75 else Rating.BASICALLY if roll < 0.9 else Rating.UNSATISFIED
        move(
            Action.RATE,
            case.reporter,
            "处理及时" if rating != Rating.UNSATISFIED else "问题没有彻底解决",
            rating=rating,
        )
        # 不满意 → 重办: the case went back to the department; a working city handles it again.
        if profile.rehandle and case.status == CaseStatus.DISPATCHED and move(Action.ACCEPT, handler):
            if move(Action.FEEDBACK, handler, "已重新处置"):
                move(Action.VERIFY, dispatcher) and move(Action.CLOSE, dispatcher)


# One problem many people report within days (热点): (kind, code, reports, days ago it started).
BURSTS = [
    ("matter", "06042", 8, 4),  # bins overflowing at one market
    ("component", "01050", 6, 6),  # a row of dark street lamps
    ("matter", "09006", 7, 3),  # stalls blocking a crossing
    ("component", "01003", 5, 9),  # a missing drain cover on a school road
]


def build_bursts(*, seed: int = 2026, now: datetime | None = None, profile: Profile = CALM) -> int:
    """A few problems that many citizens report within days near one spot, as a busy city sees every week:
    the hot issues (热点问题) a leader finds on the dashboard, the map and the big screen. Each report goes
    through the intake like any other (those ≤ 50 m of an open one of the category join it as 附议) and the
    cases through the loop as the history's do. Idempotent: returns how many reports were added."""
    rng = random.Random(f"{seed}:bursts")
    now = now or timezone.now()
    existing = set(
        Case.objects.filter(source_ref__startswith="demo:burst:").values_list("source_ref", flat=True)
    )
    categories = {(c.kind, c.code): c for c in Category.objects.filter(active=True)}
    cells = list(Cell.objects.order_by("code").only("id", "min_lon", "min_lat", "max_lon", "max_lat"))
    cast = _cast()
    added = 0
    for b, (kind, code, reports, started) in enumerate(BURSTS):
        cell = rng.choice(cells)
        lat0 = (cell.min_lat + cell.max_lat) / 2
        lon0 = (cell.min_lon + cell.max_lon) / 2
        place = texts.address_text(rng)
        people = rng.sample(cast.citizens, k=min(reports, len(cast.citizens)))
        for r, reporter in enumerate(people):
            moment = now - timedelta(days=started) + timedelta(hours=r * rng.uniform(4, 14))
            text = texts.report_text(kind, code, rng, style="app", place=place)
            lat = lat0 + rng.uniform(-0.0006, 0.0006)  # within about 70 m
            lon = lon0 + rng.uniform(-0.0008, 0.0008)
            fate, draws = rng.random(), [rng.gauss(0.0, 1.0) for _ in range(8)]
            stop = profile.stop((now - moment).total_seconds() / 86400, rng.random(), rng.choice(STOPPABLE))
            tag = f"demo:burst:{b}:{r}"
            if tag in existing or moment > now or (kind, code) not in categories:
                continue
            submission = Submission(
                description=text,
                lat=lat,
                lon=lon,
                kind=CaseKind.COMPLAINT,
                channel=Channel.APP,
                category=categories[(kind, code)],
                address=place,
                source_ref=tag,
            )
            with transaction.atomic(), clock.at(moment):
                result = case_submit(reporter=reporter, submission=submission)
                if result.case.duplicate_of_id is None:
                    _play(result.case, moment, now, fate, draws, cast, rng, stop, profile)
            added += 1
    return added
