"""How the demo city's history behaves: a city that works (`CALM`, the default) or one under strain
(`STRESSED`, `civicgrid demo --stressed`).

A working command centre closes most cases within their time limits and has a few overdue; its
open cases are mostly the ones reported in the last day or two and still being handled. The
calm city draws each step's duration from its own distribution (a dispatch takes minutes, the
handling hours), scaled for the handling by the department's pace, so the departments' scores
spread; a small share of recent cases got stuck (red lights). The stressed city is the old demo:
every step takes about as long as a handling, and half of the last weeks' cases are stuck.

The 3000-case demo (`civicgrid demo`, SQLite): stressed 258 open cases of which 184 red (71 %),
on-time closing 74 % over the year (35 % for the first week of the month); calm 28 open, none red,
on-time closing 96 % over the year (64 % for the first week of the month: the cases still being
handled count as not yet closed). demo/tests/test_calibration.py pins the calm shape on a small history.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

from civicgrid.cases.choices import Action

# (mu, sigma) of the natural log of a step's natural hours; the limits (demo/city.py) are working
# hours: 立案 2, 派遣 1, 处置 21 (or the category's), 核查 4, 结案 2.
CALM_DELAYS = {
    Action.REGISTER: (-0.9, 0.8),
    Action.DISPATCH: (-1.6, 0.7),
    Action.ACCEPT: (-1.0, 0.8),
    Action.FEEDBACK: (1.2, 0.9),
    Action.VERIFY: (-0.2, 0.7),
    Action.CLOSE: (-1.1, 0.7),
}


@dataclass(frozen=True)
class Profile:
    name: str
    delays: dict = field(default_factory=dict)  # action → (mu, sigma); others: `default`
    default: tuple[float, float] = (0.3, 1.0)
    pace: tuple[float, float] = (1.0, 1.0)  # range of the departments' handling-time factors
    in_progress_days: float = 0.0  # cases reported this recently may still be being handled …
    in_progress_share: float = 0.0  # … this share of them
    stuck_days: float = 45.0  # cases reported this recently may have got stuck (overdue) …
    stuck_share: float = 0.5  # … this share of them
    hang_share: float = 0.02  # cases put on the long-term list (挂账)
    rehandle: bool = False  # a case reopened by an unsatisfied rating is handled again
    # a case "being handled" stays open only while its handling clock has time left (then it was handled)
    handling_in_time: bool = False
    # The bulk history's open cases (demo/bulk): (share, reported within so many days, the actions
    # they may stop before; None: any stoppable one).
    bulk_open: tuple = ((0.5, 2.0, None), (0.5, 30.0, None))

    def hours(self, action: str, z: float, department_code: str | None) -> float:
        """Natural hours of a step, from a standard normal draw `z`."""
        mu, sigma = self.delays.get(action, self.default)
        hours = math.exp(mu + sigma * z)
        if action == Action.FEEDBACK:
            hours *= self.department_pace(department_code)
        return hours

    def department_pace(self, code: str | None) -> float:
        """A department's own pace, stable from run to run: some handle faster than others."""
        low, high = self.pace
        if not code or low == high:
            return low
        return low + (high - low) * (zlib.crc32(code.encode()) % 1000) / 999

    def stops(self, action: str, stop: str | None, due_at, now) -> bool:
        """Whether a case planned to stop before `stop` stops before `action`, its clock due at `due_at`."""
        if action != stop:
            return False
        if self.handling_in_time and action == Action.FEEDBACK and due_at is not None and due_at <= now:
            return False
        return True

    def stop(self, age_days: float, roll: float, choice: str) -> str | None:
        """The action a case stops before (it is still open), or None: it goes as far as time allows."""
        if age_days < self.in_progress_days and roll < self.in_progress_share:
            return Action.FEEDBACK  # accepted and being handled
        if age_days < self.stuck_days and roll < self.stuck_share:
            return choice
        return None


CALM = Profile(
    "calm",
    delays=CALM_DELAYS,
    default=(-0.5, 0.8),
    pace=(0.5, 2.6),
    in_progress_days=4.0,
    in_progress_share=0.9,
    stuck_days=30.0,
    stuck_share=0.005,
    hang_share=0.005,
    rehandle=True,
    handling_in_time=True,
    # being handled (reported in the last two days), just reported (the last hours), stuck (red)
    bulk_open=((0.85, 2.0, (Action.FEEDBACK,)), (0.12, 0.125, None), (0.03, 30.0, None)),
)
STRESSED = Profile("stressed")
PROFILES = {p.name: p for p in (CALM, STRESSED)}
