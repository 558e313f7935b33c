"""可能重复: open cases that look like a new report, whatever its category — text, distance and age.

The intake merges a duplicate only of the same category within 50 m / 72 h (intake.find_original). A
citizen often picks no category, or another one, and describes one problem in other words; so the
report form and the console offer the open cases *like* the report as "可能重复": the citizen can join
one (我也遇到了, 附议) and the dispatcher can merge (并案). Nothing here merges by itself.

Candidates: open cases that are no duplicate themselves, within `CIVICGRID_SIMILAR_RADIUS_M` (300 m) and
`CIVICGRID_SIMILAR_WINDOW_DAYS` (30 days) — a bounding box on the indexed (lon, lat) columns, the
newest `CANDIDATES` of it, then the exact distance. Each is scored

    score = (0.2 + 0.8 · s) · exp(−d / D) · (1 − 0.5 · a / W)  +  0.15 if the category is the same

with s the text similarity of the descriptions (core.textsim, cosine of character n-grams, 0…1), d the
distance in metres and D = radius / 2, a the case's age and W the window. Distance weighs most (the same
words 250 m away are more often another place's problem than other words at the same spot), the text
next, the age least; a category match is a bonus, never a requirement. A candidate is offered when
s ≥ SIMILARITY_MIN or its category is the report's: an unrelated case next door is not a duplicate.

Who sees what: staff (console, API) the cases their scope holds (cases/access.py, grids/scope.py); the
public (H5) the cases anyone may join (`Case.objects.joinable()`), with the public text only of those
published (cases/publication.py: before 立案 "待立案，内容暂不公开").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import is_staff_member
from civicgrid.cases.access import description_for, visible_cases
from civicgrid.cases.choices import OPEN_STATUSES
from civicgrid.cases.models import Case
from civicgrid.cases.publication import case_public_text
from civicgrid.cases.reportstore import box_around
from civicgrid.core import clock
from civicgrid.core.textsim import similarity_matrix
from civicgrid.grids.coords import distance_m

SIMILARITY_MIN = 0.12
CATEGORY_BONUS = 0.15
CANDIDATES = 200  # the newest cases of the box that are scored


@dataclass(frozen=True)
class SimilarCase:
    case: Case
    score: float
    similarity: float
    distance_m: float
    age_hours: float
    same_category: bool
    text: str  # what this viewer may read of it: empty for the public before it is published

    @property
    def age_days(self) -> int:
        return int(self.age_hours // 24)


def candidates(qs, *, lat: float, lon: float, when: datetime):
    """The open, non-duplicate cases of `qs` in the box around the point and in the window: a range on
    the indexed (lon, lat) columns (case_lonlat_idx), never a scan of the table."""
    since = when - timedelta(days=settings.CIVICGRID_SIMILAR_WINDOW_DAYS)
    return (
        qs.filter(
            status__in=OPEN_STATUSES, duplicate_of__isnull=True, created_at__gte=since, created_at__lte=when
        )
        .in_bbox(*box_around(lat, lon, settings.CIVICGRID_SIMILAR_RADIUS_M))
        .exclude(number=None)
    )


def similarity_score(*, similarity: float, distance: float, age_hours: float, same_category: bool) -> float:
    """The ranking formula of the module docstring."""
    radius = settings.CIVICGRID_SIMILAR_RADIUS_M
    window_hours = settings.CIVICGRID_SIMILAR_WINDOW_DAYS * 24
    near = math.exp(-distance / (radius / 2))
    fresh = 1 - 0.5 * min(max(age_hours, 0.0) / window_hours, 1.0)
    return (0.2 + 0.8 * similarity) * near * fresh + (CATEGORY_BONUS if same_category else 0.0)


def similar_open_cases(
    *,
    text: str,
    lat: float,
    lon: float,
    when: datetime | None = None,
    category=None,
    viewer: User | None = None,
    public: bool | None = None,
    exclude: Case | None = None,
    limit: int = 5,
) -> list[SimilarCase]:
    """Open cases like a report (text, WGS-84 point, category if any), best first.

    `public`: the H5 view (joinable cases, public text); default: staff viewers get their scope, anyone
    else the public view. `exclude`: the report itself, when it is already a case (console).
    """
    when = when or clock.now()
    text = (text or "").strip()
    if not text:
        return []
    if public is None:
        public = not is_staff_member(viewer)
    radius = settings.CIVICGRID_SIMILAR_RADIUS_M
    if public:
        qs = Case.objects.joinable()
    else:
        qs = visible_cases(viewer) if viewer is not None else Case.objects.none()
    qs = candidates(qs, lat=lat, lon=lon, when=when).select_related("category")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    cases = list(qs.order_by("-created_at", "-id")[:CANDIDATES])
    near = [(c, distance_m(lat, lon, c.lat, c.lon)) for c in cases]
    near = [(c, d) for c, d in near if d <= radius]
    if not near:
        return []
    sims = similarity_matrix([text], [c.description for c, _ in near])[0]
    out = []
    for (c, d), s in zip(near, sims, strict=True):
        same = category is not None and c.category_id == category.pk
        if s < SIMILARITY_MIN and not same:
            continue
        age = (when - c.created_at).total_seconds() / 3600
        if public:
            shown = case_public_text(c) if c.is_published else ""
        else:
            shown = description_for(viewer, c)
        out.append(
            SimilarCase(
                case=c,
                score=round(
                    similarity_score(similarity=float(s), distance=d, age_hours=age, same_category=same), 4
                ),
                similarity=round(float(s), 3),
                distance_m=round(d),
                age_hours=age,
                same_category=same,
                text=shown,
            )
        )
    out.sort(key=lambda x: (-x.score, x.distance_m, x.case.pk))
    return out[:limit]
