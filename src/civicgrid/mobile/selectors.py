"""Reads behind the H5 pages: my cases, the category tree, nearby cases, a grid member's cells and queue.

Every list of cases starts from `cases.access.visible_cases`, so a page never shows a case its
viewer may not open. Lists fetch a fixed number of queries whatever their length.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import User
from civicgrid.cases import access
from civicgrid.cases import selectors as case_selectors
from civicgrid.cases.access import visible_cases
from civicgrid.cases.choices import OPEN_STATUSES, CaseStatus, Channel
from civicgrid.cases.intake import nearby_open_cases
from civicgrid.cases.models import Case, CaseFollower, CasePhoto, PhotoStage
from civicgrid.cases.similar import SimilarCase, similar_open_cases
from civicgrid.core.errors import DomainError
from civicgrid.grids.coords import distance_m
from civicgrid.grids.models import Cell
from civicgrid.grids.services import place_resolve
from civicgrid.notifications.models import Notification
from civicgrid.taxonomy import selectors as taxonomy_selectors
from civicgrid.taxonomy.choices import CategoryKind
from civicgrid.taxonomy.models import Category
from civicgrid.taxonomy.selectors import category_by_code

KIND_SHORT = {CategoryKind.COMPONENT: _("部件"), CategoryKind.MATTER: _("事项")}
PAGE_SIZE = 20
NEARBY_RADIUS_M = 100.0
NEARBY_LIMIT = 5
CATEGORY_SEARCH_LIMIT = 12

# What a reporter's timeline shows (the rule is the cases app's: the API shows citizens the same).
CITIZEN_TIMELINE_ACTIONS = access.CITIZEN_TIMELINE_ACTIONS


# --- categories ------------------------------------------------------------------------------------


def category_value(category: Category) -> str:
    """The value a form sends for a category: `kind:code` (components and matters share codes)."""
    return f"{category.kind}:{category.code}"


def category_lookup(raw: str | None) -> Category | None:
    """`06010`, `matter:06010` → the active category, or None when empty, unknown or ambiguous."""
    try:
        return category_by_code(raw)
    except DomainError:
        return None


@dataclass
class CategoryGroup:
    label: str
    options: list[tuple[str, str]]  # (value, label)


def category_tree() -> list[CategoryGroup]:
    """Active categories grouped by kind and major class, for a <select> with <optgroup>s. One query."""
    rows = (
        Category.objects.active()
        .order_by("kind", "code")
        .only("kind", "code", "major_code", "major_name", "name")
    )
    groups = []
    for (kind, major_code, major_name), items in groupby(
        rows, key=lambda c: (c.kind, c.major_code, c.major_name)
    ):
        items = list(items)
        label = f"{KIND_SHORT.get(kind, kind)} · {major_code} {major_name}"
        groups.append(
            CategoryGroup(label=label, options=[(category_value(c), f"{c.code} {c.name}") for c in items])
        )
    return groups


def category_search(q: str) -> list[Category]:
    if not (q or "").strip():
        return []
    return taxonomy_selectors.category_search(q, limit=CATEGORY_SEARCH_LIMIT)


# --- nearby cases (附议 instead of reporting again) -------------------------------------------------


@dataclass
class NearbyCase:
    case: Case
    distance_m: float
    mine: bool  # reported or already followed by the viewer
    text: str  # what the public read of it; empty before it is published (cases.selectors.nearby_text)
    thumbnail: str = ""  # its first photo the viewer may fetch (cases.access.first_thumbnails)


def nearby_cases(*, user: User, lat: float, lon: float, category: Category) -> list[NearbyCase]:
    """Open public cases of the category near a point, nearest first (the text of published ones only).
    Raises DomainError outside the city."""
    place = place_resolve(lat=lat, lon=lon)
    found = [
        c
        for c in nearby_open_cases(
            category=category, lat=place.lat, lon=place.lon, radius_m=NEARBY_RADIUS_M, limit=NEARBY_LIMIT * 2
        )
        if c.number and c.is_public
    ][:NEARBY_LIMIT]
    followed = set(CaseFollower.objects.filter(user=user, case__in=found).values_list("case_id", flat=True))
    thumbnails = access.first_thumbnails(user, found)
    return [
        NearbyCase(
            case=c,
            distance_m=round(distance_m(place.lat, place.lon, c.lat, c.lon)),
            mine=c.reporter_id == user.pk or c.pk in followed,
            text=case_selectors.nearby_text(c),
            thumbnail=thumbnails.get(c.pk, ""),
        )
        for c in found
    ]


# --- my cases ----------------------------------------------------------------------------------------


def _with_first_thumbnail(qs: QuerySet[Case]) -> QuerySet[Case]:
    report_photos = (
        CasePhoto.objects.filter(stage=PhotoStage.REPORT).order_by("id").only("id", "case_id", "thumbnail")
    )
    return qs.prefetch_related(Prefetch("photos", queryset=report_photos, to_attr="report_photos"))


def my_cases(user: User, *, offset: int = 0, limit: int = PAGE_SIZE) -> tuple[list[Case], bool]:
    """Cases the user reported or joined (附议), newest first; (page, whether more follow). Two queries."""
    followed = CaseFollower.objects.filter(user=user).values("case_id")
    qs = (
        visible_cases(user)
        .filter(Q(reporter=user) | Q(pk__in=followed))
        .exclude(number=None)
        .select_related("category", "duplicate_of")
        .order_by("-created_at", "-id")
    )
    page = list(_with_first_thumbnail(qs)[offset : offset + limit + 1])
    return page[:limit], len(page) > limit


def case_photos_by_stage(photos: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {stage: [] for stage in PhotoStage.values}
    for p in photos:
        out.setdefault(p["stage"], []).append(p)
    return out


# --- notifications -----------------------------------------------------------------------------------


def my_notifications(
    user: User, *, offset: int = 0, limit: int = PAGE_SIZE
) -> tuple[list[Notification], bool]:
    page = list(
        Notification.objects.for_user(user).order_by("-created_at", "-id")[offset : offset + limit + 1]
    )
    return page[:limit], len(page) > limit


def unread_count(user: User) -> int:
    return Notification.objects.for_user(user).unread().count()


# --- grid members --------------------------------------------------------------------------------------


def my_cells(user: User) -> list[Cell]:
    """The cells a grid member patrols, busiest first, with their open-case and to-verify counts. One query."""
    return list(
        Cell.objects.filter(assignments__user=user)
        .select_related("community", "street")
        .annotate(
            open_count=Count("cases", filter=Q(cases__status__in=OPEN_STATUSES)),
            verify_count=Count("cases", filter=Q(cases__status=CaseStatus.HANDLED)),
        )
        .order_by("-verify_count", "-open_count", "code")
    )


def in_my_cells(user, cell_id: int | None) -> bool:
    """Is this cell one of the grid member's own (a place in no cell is in none)?"""
    return cell_id is not None and user.cell_assignments.filter(cell_id=cell_id).exists()


def cells_bounds(cells: list[Cell]) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the cells (Leaflet's order), or None."""
    if not cells:
        return None
    return [
        [min(c.min_lat for c in cells), min(c.min_lon for c in cells)],
        [max(c.max_lat for c in cells), max(c.max_lon for c in cells)],
    ]


def city_bounds() -> list[list[float]] | None:
    """The box around every cell, for the first view of a map. One query."""
    box = Cell.objects.aggregate(s=Min("min_lat"), w=Min("min_lon"), n=Max("max_lat"), e=Max("max_lon"))
    if box["s"] is None:
        return None
    return [[box["s"], box["w"]], [box["n"], box["e"]]]


def cases_in_my_cells(user: User, *, limit: int = 500) -> list[Case]:
    """Open cases in the grid member's cells (the markers of the grid map). One query."""
    return list(
        visible_cases(user)
        .filter(cell__assignments__user=user, status__in=OPEN_STATUSES)
        .exclude(number=None)
        .only("number", "status", "lat", "lon")
        .order_by("-created_at")[:limit]
    )


def to_verify_qs(user: User) -> QuerySet[Case]:
    return (
        visible_cases(user)
        .filter(cell__assignments__user=user, status=CaseStatus.HANDLED)
        .exclude(number=None)
    )


def to_verify(user: User) -> list[Case]:
    """Cases in the grid member's cells waiting for the on-site check (核查), oldest handling first. One query."""
    return list(
        to_verify_qs(user).select_related("category", "cell", "department").order_by("handled_at", "id")[:200]
    )


def patrol_reports(user: User, *, offset: int = 0, limit: int = PAGE_SIZE) -> tuple[list[Case], bool]:
    qs = (
        visible_cases(user)
        .filter(reporter=user, channel=Channel.GRID)
        .exclude(number=None)
        .select_related("category", "cell")
        .order_by("-created_at", "-id")
    )
    page = list(_with_first_thumbnail(qs)[offset : offset + limit + 1])
    return page[:limit], len(page) > limit


# --- 可能重复: cases like the description being typed, any category (cases/similar.py) -------------


@dataclass
class SimilarItem:
    similar: SimilarCase  # its public text is empty before 立案
    mine: bool  # reported or already followed by the viewer


def similar_cases(
    *, user: User, text: str, lat: float, lon: float, category: Category | None
) -> list[SimilarItem]:
    """Open cases anyone may join that look like the report being written, best first.
    Raises DomainError outside the city."""
    place = place_resolve(lat=lat, lon=lon)
    found = similar_open_cases(
        text=text,
        lat=place.lat,
        lon=place.lon,
        category=category,
        viewer=user,
        public=True,
        limit=NEARBY_LIMIT * 2,
    )
    # What the nearby list above already offers (the chosen category within NEARBY_RADIUS_M) is not repeated.
    found = [s for s in found if not (s.same_category and s.distance_m <= NEARBY_RADIUS_M)][:NEARBY_LIMIT]
    followed = set(
        CaseFollower.objects.filter(user=user, case__in=[s.case for s in found]).values_list(
            "case_id", flat=True
        )
    )
    return [SimilarItem(s, s.case.reporter_id == user.pk or s.case.pk in followed) for s in found]


def safe_similar(**kwargs) -> list[SimilarItem]:
    try:
        return similar_cases(**kwargs)
    except DomainError:
        return []


def safe_nearby(**kwargs) -> list[NearbyCase]:
    try:
        return nearby_cases(**kwargs)
    except DomainError:
        return []
