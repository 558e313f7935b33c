"""Bulk historical cases (批量历史案件) for scale tests: `civicgrid demo --cases N --bulk`.

`demo/history.py` replays a year through `case_submit` and `case_transition`, which costs a few
milliseconds per move; a million cases that way takes hours. This package writes the same rows
directly, in one transaction, from a simulation that runs the loop's own effects in memory:

- `simulate.py`: each case is an unsaved `Case`; its report, moves and me-toos are
  `cases.workflow.report_apply`, `move_apply` (with follow-ups such as auto-dispatch) and
  `me_too_apply` — the functions `case_submit` and `case_transition` call — with a `MoveStore`
  that keeps the deadlines (`cases.deadlines`, on the `FastCalendar`) and extension requests in
  memory. So the statuses, counters, timestamps, current clocks, events (actors, roles,
  departments, notes, data, `on_time`), deadlines and extension requests are the loop's: a
  changed effect reaches the bulk history without a change here, and demo/tests/test_bulk.py
  replays bulk cases through the live loop and compares the rows, and fails when the loop has
  a move the simulation never makes. A case goes report → register/reject/merge → dispatch →
  accept → [return → dispatch] → [supervise] → [extension approved or refused] → feedback →
  [rework → feedback] → verify → close → [rate → reopen → …]; hang and resume. Duplicates are
  merged into an open case nearby and counted on it (附议) at the moment they come.
- `plan.py`: when the cases are reported (weekly and daily rhythm, a year's growth).
- `calendar.py`: `FastCalendar` — the calendar's working hours laid out as a cumulative line once,
  so each `add()` is a binary search, giving exactly `WorkingCalendar.add`.
- `write.py`: the rows by COPY (PostgreSQL, psycopg 3 `cursor.copy`) or `executemany` (SQLite),
  with explicit ids; case numbers `reportstore.case_number` per local day (the `CaseCounter` rows
  advance by as many numbers as were used).

Most cases are closed; a few thousand (however large N is) are still open, in every status,
some overdue (red) or yellow. Running it again APPENDS N more cases (new numbers after the last
of each day): nothing existing is changed. It is meant for demo and benchmark databases: the case
tables are locked while it runs, and from `write.BIG_LOAD` cases on their secondary indexes are dropped
and built again inside the transaction, so readers wait too. On the shared 2-vCPU machine 20 000
cases take 11–12 s on either database, rollup rebuild included (about 1 700 cases/s) — the
simulation in Python is most of it. Not written: outbox notifications (a historical
notification has long been delivered), the points ledger's awards (the points app's hook) and
anything else a hook would do.
"""

from __future__ import annotations

import random
import time as pytime
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from civicgrid.cases.choices import OPEN_STATUSES, CaseStatus
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent, CaseFollower, ExtensionRequest
from civicgrid.core.errors import DomainError
from civicgrid.demo.bulk import write
from civicgrid.demo.bulk.calendar import US_DAY, US_HOUR, FastCalendar, to_us
from civicgrid.demo.bulk.plan import Timeline
from civicgrid.demo.bulk.simulate import SOURCE_REF, STOPPABLE, CaseRows, MemoryStore, Simulation
from civicgrid.demo.calibration import CALM, Profile
from civicgrid.worktime.calendar import get_calendar

__all__ = ["SOURCE_REF", "BulkSummary", "FastCalendar", "build_bulk"]

OPEN_TARGET = 3_000  # about this many cases stopped in mid-loop, whatever N (a share of small N)


@dataclass
class BulkSummary:
    cases: int = 0
    events: int = 0
    deadlines: int = 0
    open: int = 0
    merged: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)


def _rollups():
    """analytics.rollups when the analytics app is installed, else None."""
    from django.apps import apps

    if not apps.is_installed("civicgrid.analytics"):
        return None
    from civicgrid.analytics import rollups

    return rollups


def build_bulk(
    count: int,
    *,
    seed: int = 2026,
    now: datetime | None = None,
    days: int = 365,
    progress: Callable[[str], None] | None = None,
    profile: Profile = CALM,
) -> BulkSummary:
    """Append `count` historical cases over the `days` before `now`; one transaction. See the module doc."""
    from civicgrid.core import clock

    if count < 0:
        raise DomainError("count_invalid", "案件数不能为负", "the number of cases must not be negative")
    started = pytime.monotonic()
    now = now or clock.now()
    summary = BulkSummary()
    if count == 0:
        return summary
    rollups = _rollups()
    with transaction.atomic():
        write.lock_tables()
        indexes = write.fast_load(count)
        rng = random.Random(seed)
        working = get_calendar()
        first = (now - timedelta(days=days + 2)).astimezone(working.tz).date()
        # Time limits run past today for the open cases: lay out a few months more.
        calendar = FastCalendar(working, first, now.astimezone(working.tz).date() + timedelta(days=200))
        ids = write.Ids(write.start_ids())
        numbers = write.CaseNumbers()
        simulation = Simulation(
            rng=rng,
            now=to_us(now),
            store=MemoryStore(calendar, ids),
            ids=ids,
            numbers=numbers,
            profile=profile,
            seed=seed,
        )
        timeline = Timeline(
            rng,
            start=to_us(now) - days * US_DAY,
            now=to_us(now),
            offset=calendar.offset if calendar.exact else 8 * US_HOUR,
        )
        # About OPEN_TARGET cases stop in mid-loop (a quarter of a small N), so every open status is seen.
        stuck = round(count * min(0.25, OPEN_TARGET / count) * 0.6)
        writer = write.Writer()
        for part in timeline.plan(count, stuck, STOPPABLE, profile.bulk_open):
            cases = simulation.round(part)
            events, deadlines = _write(writer, cases, ids, counted=rollups is not None)
            summary.cases += len(cases)
            summary.events += events
            summary.deadlines += deadlines
            for rows in cases:
                status = rows.case.status
                summary.by_status[status] = summary.by_status.get(status, 0) + 1
            if progress is not None:
                rate = summary.cases / max(pytime.monotonic() - started, 1e-6)
                progress(f"  {summary.cases:,} / {count:,} cases ({rate:,.0f}/s)")
        numbers.save()
        write.finish_sequences(ids)
        if indexes:
            if progress is not None:
                progress(f"  building {len(indexes)} indexes …")
            write.rebuild_indexes(indexes)
        if rollups is not None:
            # The events were written as counted; one rebuild puts them (and everything else) in the rollups.
            if progress is not None:
                progress("  rebuilding the rollups …")
            rollups.rebuild()
    summary.open = sum(n for s, n in summary.by_status.items() if s in OPEN_STATUSES)
    summary.merged = summary.by_status.get(CaseStatus.MERGED, 0)
    summary.seconds = pytime.monotonic() - started
    return summary


def _write(writer: write.Writer, cases: list[CaseRows], ids: write.Ids, *, counted: bool) -> tuple[int, int]:
    """A round's rows to the database, the events and followers numbered here; (events, deadlines) written."""
    events, followers = [], []
    for rows in cases:
        for event in rows.events:
            event["id"], event["counted"] = ids.take("event"), counted
        events += rows.events
        for follower in rows.followers:
            follower["id"] = ids.take("follower")
        followers += rows.followers
    writer.write(Case, [rows.case for rows in cases])
    writer.write(CaseEvent, events)
    deadlines = [d for rows in cases for d in rows.deadlines]
    writer.write(CaseDeadline, deadlines)
    writer.write(ExtensionRequest, [r for rows in cases for r in rows.extensions])
    writer.write(CaseFollower, followers)
    return len(events), len(deadlines)
