"""The bulk cases' lives, through the loop's own effects (`cases.workflow`) with their rows in memory.

Each case is a real, unsaved `Case` (explicit id). A report is `workflow.report_apply`, every move
`workflow.move_apply` (with its follow-ups, as `case_transition` makes them), a duplicate's me-too
`workflow.me_too_apply`: the same functions the live loop calls, so the statuses, counters, clocks,
events and extension requests are theirs. What they write besides the case goes to `MemoryStore`
instead of the database — deadlines planned by `cases.deadlines` on the `FastCalendar` — and is
written in bulk afterwards (demo/bulk/write.py).

Each case has a text in the style of its channel (demo/texts.py), drawn from a pool per category,
style and kind (3000 for a common category's citizen complaints, fewer for the rest), each entry made
when first drawn: a run of millions of cases makes a bounded number of texts. Some citizen reports
come under a neighbouring category and are registered under the right one. A few first dispatches go to a wrong department (that of a category people confuse
the case's with), which returns the case or from which it is recalled or re-dispatched: the department
that finally handles a case is always the one its category and place route to.

A case's life is a generator of moves (`Simulation.life`), advanced lazily: a duplicate report
advances its original to the moment it arrives, so the me-too sees the original's status then.
"""

from __future__ import annotations

import bisect
import random
from collections import deque
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Role
from civicgrid.cases import deadlines
from civicgrid.cases.choices import Action, CaseKind, CaseStatus, Channel, Rating
from civicgrid.cases.intake import AUTO_REGISTER_NOTE, registers_at_once
from civicgrid.cases.models import Case, CaseDeadline, ExtensionRequest, ExtensionStatus
from civicgrid.cases.workflow import ARRIVALS, MoveInput, MoveStore, me_too_apply, move_apply, report_apply
from civicgrid.core.errors import DomainError
from civicgrid.demo import texts
from civicgrid.demo.bulk.calendar import US_HOUR, FastCalendar, from_us, to_us
from civicgrid.demo.bulk.plan import cumulative
from civicgrid.demo.bulk.write import CaseNumbers, Ids
from civicgrid.demo.calibration import CALM, Profile
from civicgrid.demo.history import _cast
from civicgrid.demo.texts import COMMON
from civicgrid.grids.coords import CoordSystem
from civicgrid.grids.models import Cell, CellMember
from civicgrid.taxonomy.choices import Urgency
from civicgrid.taxonomy.models import Category
from civicgrid.taxonomy.routing import active_rules, matches, route

S = CaseStatus
SOURCE_REF = "bulk"  # every bulk case carries it, so they can be told from replayed and real ones
KINDS = [
    (CaseKind.COMPLAINT, 80),
    (CaseKind.HELP, 10),
    (CaseKind.TIP_OFF, 5),
    (CaseKind.SUGGESTION, 3),
    (CaseKind.INQUIRY, 2),
]
CHANNELS = [
    (Channel.APP, 52),
    (Channel.GRID, 30),
    (Channel.HOTLINE, 10),
    (Channel.CODE_SCAN, 5),
    (Channel.MAILBOX, 3),
]
# Hours a step takes: lognormal (mu, sigma) of natural hours. Some exceed their limit (late).
DELAYS = {
    Action.REGISTER: (-0.7, 0.9),
    Action.REJECT: (-0.5, 0.8),
    Action.DISPATCH: (-1.2, 0.9),
    Action.ACCEPT: (-0.5, 1.0),
    Action.RETURN: (0.0, 1.0),
    Action.SUPERVISE: (1.0, 1.0),
    Action.REQUEST_EXTENSION: (1.0, 0.8),
    Action.APPROVE_EXTENSION: (-0.5, 0.8),
    Action.REFUSE_EXTENSION: (-0.5, 0.8),
    Action.FEEDBACK: (2.0, 1.0),
    Action.REWORK: (0.5, 0.8),
    Action.VERIFY: (0.3, 1.0),
    Action.CLOSE: (-0.5, 0.8),
    Action.HANG: (1.0, 1.0),
    Action.RESUME: (5.5, 0.8),
    Action.RATE: (2.0, 1.2),
    Action.REDISPATCH: (-0.5, 0.8),
    Action.RECALL: (-0.5, 0.8),
    Action.UNMERGE: (0.0, 0.8),
}
STOPPABLE = [
    Action.REGISTER,
    Action.DISPATCH,
    Action.ACCEPT,
    Action.FEEDBACK,
    Action.VERIFY,
    Action.CLOSE,
    Action.RATE,
]
NOTES = {
    Action.REJECT: "经核实不属于城市管理范围",
    Action.RETURN: "不属于本部门职责，请重新派遣",
    Action.SUPERVISE: "请加快处置",
    Action.REQUEST_EXTENSION: "需协调施工队",
    Action.APPROVE_EXTENSION: "同意延期",
    Action.REFUSE_EXTENSION: "时限充足，请按期办结",
    Action.FEEDBACK: "已处置完毕，现场已恢复",
    Action.REWORK: "现场核查未处置到位",
    Action.HANG: "涉及规划调整，暂无法解决，列入挂账",
    Action.REDISPATCH: "派遣有误，改派至责任部门",
    Action.RECALL: "派遣有误，撤回重新研判",
    Action.UNMERGE: "经核实不是同一问题，撤销并案",
}
EXTENSION_HOURS = Decimal("7.00")
CANDIDATES = 20  # a duplicate repeats one of the latest reports that are still open


class Row(SimpleNamespace):
    """A deadline or extension request kept in memory: its fields as attributes by name, every one at
    its default until set (what `cases.deadlines` and the effects read and set on the model object),
    and its id as `pk` too. Far cheaper to make than the model object, of which there are millions."""

    _defaults: dict[type, dict] = {}

    @classmethod
    def of(cls, model, **values) -> Row:
        defaults = cls._defaults.get(model)
        if defaults is None:
            defaults = cls._defaults[model] = {f.name: f.get_default() for f in model._meta.concrete_fields}
        return cls(**{**defaults, **values})

    @property
    def pk(self) -> int:
        return self.id


class CaseRows:
    """A simulated case and the rows that belong to it, in the order they were made."""

    __slots__ = (
        "case",
        "events",
        "deadlines",
        "extensions",
        "followers",
        "running",
        "life",
        "next",
        "stop",
        "category",
    )

    def __init__(self, case: Case) -> None:
        self.case = case
        self.events: list[dict] = []  # the values of its CaseEvents, as cases.workflow gives them
        self.deadlines: list[Row] = []
        self.extensions: list[Row] = []
        self.followers: list[dict] = []  # the values of its CaseFollower rows
        self.running: Row | None = None  # the deadline of the current step
        self.life: Iterator | None = None  # the moves still to come (None: the life is over)
        self.next: tuple | None = None  # the next move, drawn but not yet made
        self.stop: str | None = None  # the planned stop: the life ends before this action
        self.category: Category | None = None  # the true category, when reported under another


class MemoryStore(MoveStore):
    """`MoveStore` in memory: the rows go to the case's `CaseRows` as `Row`s, with ids handed out here."""

    def __init__(self, calendar: FastCalendar, ids: Ids) -> None:
        self.calendar, self.ids = calendar, ids
        self.rows: dict[int, CaseRows] = {}
        self.rules = active_rules()
        self.rules_for: dict[int, list] = {}
        self.routes: dict[tuple[int, str | None], Department | None] = {}

    def clock_start(self, case: Case, step: str, at: datetime) -> None:
        rows = self.rows[case.pk]
        values = deadlines.deadline_values(case=case, step=step, at=at, calendar=self.calendar)
        deadline = Row.of(CaseDeadline, id=self.ids.take("deadline"), **values)
        rows.deadlines.append(deadline)
        rows.running = deadline

    def clock_finish(self, case: Case, at: datetime) -> bool | None:
        rows = self.rows[case.pk]
        deadline, rows.running = rows.running, None
        on_time = deadlines.deadline_stop(case=case, deadline=deadline, at=at)
        for request in rows.extensions:  # as deadline_finish: a pending request of the ended step lapses
            if (
                deadline is not None
                and request.status == ExtensionStatus.PENDING
                and request.deadline is deadline
            ):
                request.status, request.decided_at = ExtensionStatus.LAPSED, at
        return on_time

    def clock_running(self, case: Case) -> Row | None:
        return self.rows[case.pk].running

    def clock_extend(self, case: Case, deadline: Row, hours: Decimal) -> tuple[datetime, datetime]:
        return deadlines.deadline_lengthen(case=case, deadline=deadline, hours=hours, calendar=self.calendar)

    def extension_pending(self, case: Case) -> Row | None:
        return next((r for r in self.rows[case.pk].extensions if r.status == ExtensionStatus.PENDING), None)

    def extension_add(self, values: dict) -> None:
        request = Row.of(ExtensionRequest, id=self.ids.take("extension"), **values)
        self.rows[request.case.pk].extensions.append(request)

    def extension_decided(self, request: Row) -> None:
        pass  # the request is already in its case's rows

    def route(self, category: Category, cell_code: str | None) -> Department | None:
        key = (category.pk, cell_code)
        if key not in self.routes:
            # The rules that can match the category at all, once per category; route() decides among them.
            rules = self.rules_for.get(category.pk)
            if rules is None:
                rules = self.rules_for[category.pk] = [
                    r for r in self.rules if matches(r, category, r.area_code)
                ]
            rule = route(category, cell_code, rules)
            self.routes[key] = rule.department if rule else None
        return self.routes[key]


class Simulation:
    """The cases of the bulk history, a round at a time, and their lives up to `now` (UTC epoch µs)."""

    def __init__(
        self,
        *,
        rng: random.Random,
        now: int,
        store: MemoryStore,
        ids: Ids,
        numbers: CaseNumbers,
        profile: Profile = CALM,
        seed: int = 2026,
    ) -> None:
        self.rng, self.now, self.store, self.ids, self.numbers = rng, now, store, ids, numbers
        # The texts come from pools of their own (per seed), drawn by a generator of their own: the rest of
        # the history is the same whatever the texts.
        self.seed, self.text_rng = seed, random.Random(f"{seed}:texts")
        self.pools: dict[tuple[int, str, str], list[tuple[str, str] | None]] = {}
        self.department_rows: dict[int, Department] = {}
        # The corrections (改派, 撤回, 撤销并案) draw from their own generator: the rest of the history is
        # the same with or without them.
        self.side_rng = random.Random(20261207)
        self.merges = 0
        self.profile = profile  # how long steps take, the departments' paces (demo/calibration.py)
        self.cast = _cast()
        self.cells = list(
            Cell.objects.order_by("code").only(
                "id", "code", "community_id", "street_id", "min_lon", "min_lat", "max_lon", "max_lat"
            )
        )
        if not self.cells:
            raise DomainError(
                "no_cells", "请先建立演示城市的单元网格", "build the demo city (its grid cells) first"
            )
        self.cells_by_id = {c.id: c for c in self.cells}
        grid_members = {u.id: u for u in self.cast.grid_members}
        self.cell_members: dict[int, list[User]] = {}
        for cell_id, user_id in CellMember.objects.values_list("cell_id", "user_id"):
            if user_id in grid_members:
                self.cell_members.setdefault(cell_id, []).append(grid_members[user_id])
        self.busy = rng.sample(self.cells, k=max(1, len(self.cells) // 6))
        categories = {(c.kind, c.code): c for c in Category.objects.filter(active=True)}
        self.by_key = categories
        for c in categories.values():
            texts.ensure(c)
        common = [(categories[(k, code)], w) for k, code, w, _t in COMMON if (k, code) in categories]
        known = {c.id for c, _w in common}
        tail = [c for c in categories.values() if c.id not in known]
        # The common matters carry ~90 % of the reports; every other active category shares the rest.
        total = sum(w for _c, w in common) or 1
        self.categories = common + [(c, total / 9 / len(tail)) for c in tail] if tail else common
        if not self.categories:
            raise DomainError(
                "no_categories", "请先建立演示城市的分类", "build the demo city (its categories) first"
            )
        self.category_cum = cumulative([w for _c, w in self.categories])
        self.kinds, kind_weights = zip(*KINDS, strict=True)
        self.channels, channel_weights = zip(*CHANNELS, strict=True)
        self.kind_cum, self.channel_cum = cumulative(kind_weights), cumulative(channel_weights)

    # --- a round of cases -----------------------------------------------------------------

    def round(self, plan: list[tuple[int, str | None]]) -> list[CaseRows]:
        """The cases reported at the planned (moment, stop)s, each lived as far as the present allows."""
        rng = self.rng
        self.store.rows = {}  # the cases of the last round are lived out: nothing refers to them any more
        cases: list[CaseRows] = []
        recent: deque[CaseRows] = deque()  # the latest reports that a duplicate may repeat
        for at, stop in plan:
            channel = rng.choices(self.channels, cum_weights=self.channel_cum)[0]
            if rng.random() < 0.03 and recent and self.duplicate(recent, at, channel, cases):
                continue
            cell = rng.choice(self.busy) if rng.random() < 0.5 else rng.choice(self.cells)
            index = bisect.bisect_left(self.category_cum, rng.random() * self.category_cum[-1])
            category = self.categories[index][0]
            # A citizen may pick a neighbouring category, corrected at 立案 (a grid member's is registered at once).
            picked = self.by_key.get(texts.intake_category(category.kind, category.code, self.text_rng))
            wrong = picked is not None and picked != category and channel != Channel.GRID
            rows = self.new_case(at, cell, picked if wrong else category, channel)
            if wrong:
                rows.category = category
            self.report(rows, stop)
            cases.append(rows)
            recent.append(rows)
            if len(recent) > CANDIDATES:
                self.advance(recent.popleft(), None)  # no duplicate comes for it any more: live it out
        for rows in recent:
            self.advance(rows, None)
        return cases

    def duplicate(self, recent: deque[CaseRows], at: int, channel: str, cases: list[CaseRows]) -> bool:
        """The same problem reported again nearby while the first report is open (intake.find_original),
        a few hours after one of the latest reports (so small N has duplicates too). False: no duplicate."""
        rng = self.rng
        original = recent[-1 - rng.randrange(len(recent))]
        created = to_us(original.case.created_at)
        seen = min(created + rng.randrange(600_000_000, 24 * US_HOUR), self.now)
        if seen <= created:
            return False
        self.advance(original, seen)
        if original.case.status not in ARRIVALS[Action.ME_TOO].sources:
            return False
        reporter = self.reporter_for(channel, self.cells_by_id[original.case.cell_id])
        if any(f["user"] == reporter for f in original.followers):
            return False  # one follower row per person (casefollower_unique)
        rows = self.new_case(
            seen, self.cells_by_id[original.case.cell_id], original.case.category, channel, reporter=reporter
        )
        case = rows.case
        # Within a few metres of the original (the same problem, seen by someone else).
        case.lat = original.case.lat + rng.uniform(-1e-4, 1e-4)
        case.lon = original.case.lon + rng.uniform(-1e-4, 1e-4)
        rows.events.extend(
            report_apply(case=case, original=original.case, data=self.report_data(case), store=self.store)
        )
        event, follower = me_too_apply(case=original.case, user=reporter, at=case.created_at)
        original.events.append(event)
        original.followers.append(follower)
        cases.append(rows)
        side = self.side_rng
        self.merges += 1
        if self.merges % 4 == 1:  # one merge in four found wrong and undone: its own case from then on
            at = to_us(case.created_at) + int(side.lognormvariate(*DELAYS[Action.UNMERGE]) * US_HOUR) + 1
            if at <= self.now:
                self.apply(
                    rows,
                    Action.UNMERGE,
                    self.cast.dispatcher,
                    NOTES[Action.UNMERGE],
                    MoveInput(),
                    from_us(at),
                )
                main, self.rng = self.rng, side  # lived out at once, from the corrections' generator
                try:
                    rows.life = self.life(rows, start=at)
                    self.advance(rows, None)
                finally:
                    self.rng = main
        return True

    def reporter_for(self, channel: str, cell: Cell) -> User:
        rng = self.rng
        if channel == Channel.GRID:
            return rng.choice(self.cell_members.get(cell.id) or self.cast.grid_members)
        if channel in (Channel.HOTLINE, Channel.MAILBOX):
            return self.cast.dispatcher
        return rng.choice(self.cast.citizens)

    def new_case(
        self, at: int, cell: Cell, category: Category, channel: str, reporter: User | None = None
    ) -> CaseRows:
        rng = self.rng
        kind = rng.choices(self.kinds, cum_weights=self.kind_cum)[0]
        description, address = self.text(category, channel, kind)
        case = Case(
            id=self.ids.take("case"),
            kind=kind,
            channel=channel,
            category=category,
            urgency=category.default_urgency or Urgency.NORMAL,
            description=description,
            address=address,
            lat=rng.uniform(cell.min_lat + 1e-5, cell.max_lat - 1e-5),
            lon=rng.uniform(cell.min_lon + 1e-5, cell.max_lon - 1e-5),
            cell=cell,
        )
        # Set after: Model.__init__ raises and catches a KeyError for every field it is not given before the
        # last one it is given, a third of the cost of making the case.
        case.community_id, case.street_id = cell.community_id, cell.street_id
        case.reporter = reporter or self.reporter_for(channel, cell)
        case.source_ref, case.created_at = SOURCE_REF, from_us(at)
        case.number = self.numbers(case)
        rows = self.store.rows[case.pk] = CaseRows(case)
        return rows

    def text(self, category: Category, channel: str, kind: str) -> tuple[str, str]:
        """A (description, address) from the pool of the category, the channel's style and the kind: a
        few thousand texts for the common categories, fewer for the others, each made when first drawn
        (from a generator of its own place in the pool, so the pool is the same whatever the order)."""
        style = texts.style_for(channel)
        kind = kind if style == "app" and kind in texts.FRAMES else CaseKind.COMPLAINT
        key = (category.pk, style, kind)
        pool = self.pools.get(key)
        if pool is None:
            rich = (category.kind, category.code) in texts.RICH
            size = (3000 if kind == CaseKind.COMPLAINT and style == "app" else 600) if rich else 100
            pool = self.pools[key] = [None] * size
        i = self.text_rng.randrange(len(pool))
        entry = pool[i]
        if entry is None:
            rng = random.Random(f"{self.seed}:{category.kind}:{category.code}:{style}:{kind}:{i}")
            address = texts.address_text(rng)
            text = texts.report_text(
                category.kind, category.code, rng, style=style, case_kind=kind, place=address
            )
            entry = pool[i] = (text, address)
        return entry

    @staticmethod
    def report_data(case: Case) -> dict:
        return {"channel": case.channel, "crs": CoordSystem.WGS84}

    def report(self, rows: CaseRows, stop: str | None) -> None:
        """What the intake writes for a report that is not a duplicate; its life is to come."""
        case = rows.case
        rows.events.extend(
            report_apply(case=case, original=None, data=self.report_data(case), store=self.store)
        )
        if registers_at_once(case.reporter, case.category):
            self.apply(rows, Action.REGISTER, case.reporter, AUTO_REGISTER_NOTE, MoveInput(), case.created_at)
        rows.life, rows.stop = self.life(rows), stop

    # --- the moves ------------------------------------------------------------------------

    def apply(
        self, rows: CaseRows, action: str, actor: User | None, note: str, payload: MoveInput, at: datetime
    ) -> None:
        """One move and its follow-ups (auto-dispatch), as case_transition makes them."""
        event, extra = move_apply(
            case=rows.case, action=action, actor=actor, note=note, payload=payload, at=at, store=self.store
        )
        rows.events.append(event)
        if action == Action.UNMERGE and extra.get("detached_from") is not None:
            # As case_transition: the reporter stops following the original (its rows are this round's).
            original = self.store.rows.get(extra["detached_from"].pk)
            if original is not None:
                original.followers[:] = [f for f in original.followers if f["user"] != rows.case.reporter]
        for follow_up in extra.get("then", ()):
            self.apply(rows, follow_up.action, None, follow_up.note, follow_up.payload, at)

    def advance(self, rows: CaseRows, until: int | None) -> None:
        """Make the case's moves up to `until` (None: as far as its life goes)."""
        while rows.life is not None:
            if rows.next is None:
                rows.next = next(rows.life, None)
            if (
                rows.next is None
                or rows.next[0] > self.now
                or self.profile.stops(rows.next[1], rows.stop, rows.case.due_at, from_us(self.now))
            ):
                rows.life = rows.next = (
                    None  # the life ends: at its planned stop, or its next move is to come
                )
                return
            at, action, actor, note, payload = rows.next
            if until is not None and at > until:
                return
            rows.next = None
            self.apply(rows, action, actor, note, payload, from_us(at))

    def wrong_department(self, case: Case) -> Department | None:
        """Where a dispatcher might send the case by mistake: where a category people confuse its own
        with routes at its place, else any other department; one with handlers (to return it)."""
        rng, handlers = self.side_rng, self.cast.handlers_by_department
        cell = self.cells_by_id[case.cell_id].code if case.cell_id else None
        options = []
        for key in texts.neighbours(case.category.kind, case.category.code):
            if key in self.by_key:
                department = self.store.route(self.by_key[key], cell)
                if department is not None and department.pk != case.routed_department_id:
                    if handlers.get(department.pk) and department not in options:
                        options.append(department)
        if options:
            return rng.choice(options)
        others = sorted(d for d in handlers if d != case.routed_department_id)
        return self.departments(rng.choice(others)) if others else None

    def departments(self, pk: int) -> Department:
        if pk not in self.department_rows:
            self.department_rows[pk] = Department.objects.get(pk=pk)
        return self.department_rows[pk]

    def corrections(self, case: Case, fate: float, t: int) -> Iterator[tuple]:
        """改派 to the routed department (the first dispatch was wrong), or 撤回 then 派遣 again (by
        the rules), before anyone accepted it: either way the case ends where its routing says."""
        rng, dispatcher = self.side_rng, self.cast.dispatcher

        def at(action: str) -> int:
            nonlocal t
            t += int(rng.lognormvariate(*DELAYS[action]) * US_HOUR) + 1
            return t

        routed = case.routed_department
        if fate <= 0.94 and routed is not None and routed.pk != case.department_id:
            department = routed
            yield (
                at(Action.REDISPATCH),
                Action.REDISPATCH,
                dispatcher,
                NOTES[Action.REDISPATCH],
                MoveInput(department=department),
            )
            return
        yield at(Action.RECALL), Action.RECALL, dispatcher, NOTES[Action.RECALL], MoveInput()
        yield at(Action.DISPATCH), Action.DISPATCH, dispatcher, "", MoveInput()

    def life(
        self, rows: CaseRows, start: int | None = None
    ) -> Iterator[tuple[int, str, User | None, str, MoveInput]]:
        """The moves of the case after its report, each drawn once the one before is made (what comes
        next depends on it, as in history._play); `advance` ends it at the first it does not make."""
        rng = self.rng
        case = rows.case
        cast = self.cast
        dispatcher = cast.dispatcher
        fate = rng.random()
        profile = self.profile
        t = start or to_us(case.created_at)

        def move(
            action: str,
            actor: User | None,
            note: str | None = None,
            rating: str | None = None,
            department: Department | None = None,
            category: Category | None = None,
        ):
            nonlocal t
            mu, sigma = profile.delays.get(action) or DELAYS[action]
            hours = rng.lognormvariate(mu, sigma)
            if action == Action.FEEDBACK and case.department_id:
                hours *= profile.department_pace(case.department.code)
            t += int(hours * US_HOUR) + 1
            payload = MoveInput(
                rating=rating,
                hours=EXTENSION_HOURS if action == Action.REQUEST_EXTENSION else None,
                department=department,
                category=category,
            )
            return t, action, actor, NOTES.get(action, "") if note is None else note, payload

        if case.status == S.REPORTED:
            if fate < 0.05:
                yield move(Action.REJECT, dispatcher)
                return
            yield move(Action.REGISTER, dispatcher, category=rows.category)
        if fate > 1 - profile.hang_share:
            yield move(Action.HANG, dispatcher)
            if rng.random() < 0.3:
                return  # still on the long-term list
            yield move(Action.RESUME, dispatcher)
        if case.status in (S.REGISTERED, S.RETURNED):
            if case.routed_department_id is None:
                return  # a dispatcher would choose the department by hand
            # 0.93–0.98: the first dispatch goes to a wrong department (returned, recalled or re-dispatched).
            wrong = self.wrong_department(case) if 0.93 < fate <= 0.98 else None
            yield move(Action.DISPATCH, dispatcher, department=wrong)
        handlers = cast.handlers_by_department.get(case.department_id)
        if not handlers:
            return
        handler = rng.choice(handlers)
        if 0.95 < fate <= 0.98:
            yield move(Action.RETURN, handler)
            yield move(Action.DISPATCH, dispatcher)
            handler = rng.choice(cast.handlers_by_department.get(case.department_id) or handlers)
        if 0.93 < fate <= 0.95 and case.status == S.DISPATCHED:
            for step in self.corrections(case, fate, t):
                t = step[0]
                yield step
            handlers = cast.handlers_by_department.get(case.department_id) or handlers
            handler = self.side_rng.choice(handlers)
        if case.status == S.DISPATCHED:
            yield move(Action.ACCEPT, handler)
        if 0.90 < fate <= 0.93:
            yield move(Action.SUPERVISE, cast.leader)
        if 0.85 < fate <= 0.90:
            yield move(Action.REQUEST_EXTENSION, handler)
            if fate <= 0.89:  # else nobody decides: the request lapses when the step ends
                yield move(Action.APPROVE_EXTENSION if fate <= 0.88 else Action.REFUSE_EXTENSION, dispatcher)
        yield move(Action.FEEDBACK, handler)
        if 0.80 < fate <= 0.85:
            yield move(Action.REWORK, dispatcher)
            yield move(Action.FEEDBACK, handler, "已重新处置")
        yield move(Action.VERIFY, dispatcher)
        yield move(Action.CLOSE, dispatcher)
        reporter = case.reporter
        if reporter.role != Role.CITIZEN or rng.random() >= 0.7:
            return
        roll = rng.random()
        rating = Rating.SATISFIED if roll < 0.75 else Rating.BASICALLY if roll < 0.9 else Rating.UNSATISFIED
        yield move(
            Action.RATE, reporter, "处理及时" if rating != Rating.UNSATISFIED else "问题没有彻底解决", rating
        )
        if case.status == S.DISPATCHED:  # 不满意 → 重办, handled again
            yield move(Action.ACCEPT, handler)
            yield move(Action.FEEDBACK, handler, "已重新处置")
            yield move(Action.VERIFY, dispatcher)
            yield move(Action.CLOSE, dispatcher)
