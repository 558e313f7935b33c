"""The dashboard's 文明测评 card: the latest round's city score and rate, the streets best and last, and the
rectification tasks still open or overdue. Scores are computed (`evaluation.scoring`) and kept in the cache
until an observation is added to the round (its newest id is in the key) or for CACHE_SECONDS."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Max

from civicgrid.core import clock
from civicgrid.evaluation import scoring
from civicgrid.evaluation.models import Observation, RectificationTask, Round, RoundStatus, TaskState

CACHE_SECONDS = 300
SHOWN_STREETS = 3
UNIT_OWES = (TaskState.OPEN, TaskState.REOPENED)


def _percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def evaluation_card() -> dict | None:
    """What the card shows, or None when no round has begun."""
    rnd = Round.objects.exclude(status=RoundStatus.DRAFT).select_related("edition").first()
    if rnd is None:
        return None
    newest = Observation.objects.filter(round_site__round=rnd).aggregate(n=Max("id"))["n"] or 0
    key = f"dashboard:evaluation:{rnd.pk}:{newest}"
    figures = cache.get(key)
    if figures is None:
        result = scoring.round_scores(rnd)
        streets = sorted(
            (s for s in result.streets.values() if s.rate is not None), key=lambda s: (-s.rate, s.name)
        )
        figures = {
            "total": str(result.city.total),
            "rate": _percent(result.city.rate),
            "passed": result.city.passed,
            "best": [(s.name, _percent(s.rate)) for s in streets[:SHOWN_STREETS]],
            "last": [(s.name, _percent(s.rate)) for s in streets[SHOWN_STREETS:][-SHOWN_STREETS:]],
        }
        cache.set(key, figures, CACHE_SECONDS)
    tasks = RectificationTask.objects.filter(observation__round_site__round=rnd)
    return {
        "round": rnd,
        **figures,
        "open_tasks": tasks.filter(state__in=UNIT_OWES).count(),
        "overdue_tasks": tasks.filter(state__in=UNIT_OWES, due_at__lt=clock.now()).count(),
    }
