"""When the bulk cases are reported: a year's days with a weekly rhythm and growth, hours with a daily one."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator

import numpy

from civicgrid.demo.bulk.calendar import US_DAY, US_HOUR

CHUNK = 20_000  # cases simulated and written per round; a duplicate's original is in the same round
# Local hour of day → weight (reports come in the day, peaking mid-morning and mid-afternoon).
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.3, 0.4, 1, 3, 6, 10, 13, 14, 12, 8, 9, 12, 13, 12, 10, 8, 7, 6, 5, 3, 2]
WEEKDAY_WEIGHTS = [1.0, 1.0, 0.97, 0.95, 0.93, 0.62, 0.55]  # Monday … Sunday


def cumulative(weights) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


class Timeline:
    """Report moments (UTC epoch µs) between `start` and `now`, for a zone `offset` µs east of UTC."""

    def __init__(self, rng: random.Random, *, start: int, now: int, offset: int) -> None:
        self.rng, self.start, self.now, self.offset = rng, start, now, offset
        self.hour_cum = cumulative(HOUR_WEIGHTS)

    def _days(self, span_days: float) -> tuple[list[int], list[float]]:
        """Local days (days since 1970) of the last `span_days` and their weights (weekly rhythm, growth)."""
        first_day = (self.now - int(span_days * US_DAY) + self.offset) // US_DAY
        last_day = (self.now + self.offset) // US_DAY
        day_list = list(range(first_day, last_day + 1))
        # A city's reports grow a little over the year (more people use the app).
        weights = [
            WEEKDAY_WEIGHTS[(d + 3) % 7] * (0.8 + 0.4 * (i / max(1, len(day_list) - 1)))
            for i, d in enumerate(day_list)
        ]
        return day_list, weights

    def _in_day(self, day: int, count: int) -> list[int]:
        """`count` report times on a local day, with the daily rhythm, sorted."""
        rng = self.rng
        hours = rng.choices(range(24), cum_weights=self.hour_cum, k=count)
        out = []
        for h in hours:
            moment = day * US_DAY + h * US_HOUR + rng.randrange(US_HOUR) - self.offset
            if moment > self.now:  # today's reports are all in the past
                moment = self.now - rng.randrange(
                    min(6 * US_HOUR, max(1, self.now - (day * US_DAY - self.offset)))
                )
            out.append(moment)
        out.sort()
        return out

    def moments(self, count: int, *, recent_days: float) -> list[int]:
        """`count` report times over the last `recent_days`, sorted (for the few stopped cases)."""
        day_list, weights = self._days(recent_days)
        days = Counter(self.rng.choices(day_list, weights=weights, k=count))
        return sorted(m for day, n in days.items() for m in self._in_day(day, n))

    def plan(
        self, count: int, stuck: int, stoppable: list[str], bands=((0.5, 2.0, None), (0.5, 30.0, None))
    ) -> Iterator[list[tuple[int, str | None]]]:
        """(moment, stop) of every case in time order, a round at a time: memory stays flat for 10 M.

        `stuck` cases stop before one of the `stoppable` actions (the rest as far as the present allows),
        shared among `bands`: (share, reported within so many days, the actions they may stop before or
        None for any of `stoppable`; see demo/calibration.py).
        """
        rng = self.rng
        # Stopped cases come from the last weeks: the newest are green or yellow, the older ones red.
        stopped: dict[int, list[tuple[int, str]]] = defaultdict(list)
        sizes = [round(stuck * share) for share, _days, _stops in bands[:-1]]
        sizes.append(stuck - sum(sizes))
        drawn = [self.moments(n, recent_days=days) for n, (_s, days, _a) in zip(sizes, bands, strict=True)]
        for moments, (_share, _days, stops) in zip(drawn, bands, strict=True):
            for moment in moments:
                stopped[(moment + self.offset) // US_DAY].append((moment, rng.choice(stops or stoppable)))
        day_list, weights = self._days((self.now - self.start) / US_DAY)
        total = sum(weights)
        numbers = numpy.random.default_rng(rng.getrandbits(64)).multinomial(
            count - stuck, [w / total for w in weights]
        )
        buffer: list[tuple[int, str | None]] = []
        for day, n in zip(day_list, numbers.tolist(), strict=True):
            today = [(m, None) for m in self._in_day(day, n)] + stopped.pop(day, [])
            today.sort(key=lambda p: p[0])
            buffer.extend(today)
            if len(buffer) >= CHUNK:
                yield buffer
                buffer = []
        leftover = [p for day in sorted(stopped) for p in stopped[day]]  # stopped before the period (tiny N)
        buffer = sorted(leftover + buffer, key=lambda p: p[0])
        if buffer:
            yield buffer
