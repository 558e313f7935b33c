"""Each layer of the city map as GeoJSON features, from the parsed parameters (`selectors.MapParams`).

Every layer is bounded: the cells and boundaries of the view (at most `grids.selectors.MAX_BBOX_CELLS`),
case points up to `POINT_LIMIT` — beyond that counts: per unit grid cell from the rollup (no case
filter; for the public less the cases hidden from them) or h3 hexagons counted in SQL on a grid finer
than the hexagons (`MAX_BINS` groups at most) — so the browser never receives more than a few thousand
features whatever the city's history.

What keeps them fast at a million cases (see the indexes' comments in `cases.models`): the period's
cases in a view are read from `case_map_idx` alone (created_at, lon, lat and the filters' columns), the
hot spots from `event_map_idx` (action, created_at, case), the public's hidden cases from the partial
`case_hidden_idx`, and a long period's cell counts from the monthly rollup plus the days at its ends.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import h3
import shapely
from django.apps import apps
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Floor
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.choices import TIMED_STATUSES, Action
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.codes.choices import GRADE_COLOURS, CodeStatus
from civicgrid.codes.models import Code, Merchant, Place, Stall
from civicgrid.grids.models import Cell, Community, Street
from civicgrid.grids.selectors import MAX_BBOX_CELLS
from civicgrid.hotspots.models import HotIssue, HotIssueStatus
from civicgrid.hotspots.selectors import span_label
from civicgrid.maps.selectors import (
    BIN_RAMP,
    DENSITY_RAMP,
    HEX,
    LAYERS,
    OVERDUE_RAMP,
    CaseCards,
    LayerSpec,
    MapParams,
    _area_geojson,
    _colour_for,
    _feature,
    _legend,
    _point,
    _ramp_legend,
    bbox_filter,
    case_filter,
    case_queryset,
    case_values,
    classes,
    hidden_from_public,
)
from civicgrid.volunteers.models import Activity, ActivityStatus, ActivityType, Shift

POINT_LIMIT = 2000  # case points in view beyond which the view is binned into hexagons
MAX_BINS = 3000  # at most this many SQL groups (and so hexagons) per binned answer
HOTSPOT_LIMIT = 500
PLACE_LIMIT = 3000
STALL_LIMIT = 1000
VOLUNTEER_LIMIT = 1000


# --- layers -----------------------------------------------------------------------------------------


@dataclass
class LayerAnswer:
    features: list[dict]
    mode: str
    legend: list[dict] = field(default_factory=list)
    total: int | None = None
    truncated: bool = False


@dataclass(slots=True)
class CellRow:
    pk: int
    code: str
    name: str
    community: str
    street: str
    geometry: bytes | None


def _cells(params: MapParams) -> list[CellRow]:
    """The cells meeting the view (as `grids.selectors.cells_in_bbox`), as plain rows: no model instances."""
    min_lon, min_lat, max_lon, max_lat = params.box
    qs = Cell.objects.filter(
        min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat
    )
    if params.narrowed:
        qs = qs.filter(params.street_q())
    rows = qs.order_by("code").values_list(
        "id", "code", "name", "community__name", "street__name", "geometry"
    )
    return [CellRow(*row) for row in rows[:MAX_BBOX_CELLS]]


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _rollup_counts(params: MapParams) -> dict[int, int] | None:
    """Reported cases per cell from the analytics rollups, when they exist and no case filter is set:
    whole months from CellMonth, the days at either end from CellDay (a year reads ≤ 12 monthly rows
    and ≤ 60 daily ones per cell instead of 365), both summed per cell in one UNION ALL query."""
    if params.statuses or params.category_ids or not apps.is_installed("civicgrid.analytics"):
        return None
    try:
        day_model = apps.get_model("analytics", "CellDay")
        month_model = apps.get_model("analytics", "CellMonth")
    except LookupError:
        return None
    if not all(
        {"day", "cell", "reported"} <= {f.name for f in m._meta.get_fields()}
        for m in (day_model, month_model)
    ):
        return None
    first = params.start if params.start.day == 1 else _month_after(params.start)  # first whole month
    after = (
        _month_after(params.end)
        if _month_after(params.end) - timedelta(days=1) == params.end
        else params.end.replace(day=1)
    )  # the month after the last whole month
    if first >= after:  # no whole month inside the period
        parts = [day_model.objects.filter(day__gte=params.start, day__lte=params.end)]
    else:
        parts = [month_model.objects.filter(day__gte=first, day__lt=after)]
        if params.start < first:
            parts.append(day_model.objects.filter(day__gte=params.start, day__lt=first))
        if after <= params.end:
            parts.append(day_model.objects.filter(day__gte=after, day__lte=params.end))
    if params.narrowed:
        parts = [qs.filter(params.street_q("cell__street_id")) for qs in parts]
    grouped = [
        qs.values("cell_id").annotate(n=Sum("reported")).order_by().values_list("cell_id", "n")
        for qs in parts
    ]
    query = grouped[0].union(*grouped[1:], all=True) if len(grouped) > 1 else grouped[0]
    counts: dict[int, int] = defaultdict(int)
    for cell_id, n in query:
        counts[cell_id] += n or 0
    return dict(counts)


def _public_counts(params: MapParams, reported: dict[int, int]) -> dict[int, int]:
    """What the public may see per cell: the rollup's reported cases less the period's cases hidden from
    them (not public, rejected, merged, not registered yet — a few in a hundred, read from the partial index
    case_hidden_idx)."""
    hidden = (
        Case.objects.filter(
            *hidden_from_public(), created_at__gte=params.start_at, created_at__lt=params.end_at
        )
        .exclude(cell_id=None)
        .values("cell_id")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("cell_id", "n")
    )
    out = dict(reported)
    for cell_id, n in hidden:
        # never below zero: the rollup is caught up by the worker a moment after the events
        out[cell_id] = max(0, out.get(cell_id, 0) - n)
    return out


def _choropleth(
    params: MapParams, counts: dict[int, int], *, ramp: list[str], what: str, revision: object
) -> LayerAnswer:
    cells = _cells(params)
    values = [counts.get(c.pk, 0) for c in cells]
    bounds = classes([v for v in values if v])
    top = max(values, default=0)
    features = []
    t_community, t_street, t_period = _("社区"), _("街道"), _("时段")
    period = f"{params.start:%Y-%m-%d} — {params.end:%Y-%m-%d}"
    for cell, value in zip(cells, values, strict=True):
        geometry = _area_geojson("cell", cell.pk, cell.geometry, params.zoom, revision)
        fill = _colour_for(value, bounds, ramp) if value else None
        card = {
            "title": f"{cell.name} {cell.code}",
            "text": "",
            "rows": [
                [what, str(value)],
                [t_community, cell.community],
                [t_street, cell.street],
                [t_period, period],
            ],
        }
        features.append(
            _feature(
                geometry,
                {"code": cell.code, "name": cell.name, "value": value, "fill": fill, "card": card},
                fid=cell.code,
            )
        )
    legend = _ramp_legend(bounds, ramp, top) if top else []
    return LayerAnswer(features=features, mode="choropleth", legend=legend, total=sum(values))


def layer_cell_density(params: MapParams, *, staff: bool, now: datetime, revision: object) -> LayerAnswer:
    counts = _rollup_counts(params)
    if counts is None:
        counts = dict(
            case_queryset(params, staff=True)
            .exclude(cell_id=None)
            .values("cell_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("cell_id", "n")
        )
    return _choropleth(params, counts, ramp=DENSITY_RAMP, what=_("上报案件"), revision=revision)


def layer_cell_overdue(params: MapParams, *, staff: bool, now: datetime, revision: object) -> LayerAnswer:
    qs = (
        case_queryset(params, staff=True)
        .filter(status__in=TIMED_STATUSES, due_at__lt=now)
        .exclude(cell_id=None)
    )
    counts = dict(qs.values("cell_id").annotate(n=Count("id")).order_by().values_list("cell_id", "n"))
    return _choropleth(params, counts, ramp=OVERDUE_RAMP, what=_("超期案件"), revision=revision)


def h3_resolution(zoom: int) -> int:
    """Hexagons of roughly 40–80 screen pixels: zoom 10 → res 7, 12 → 8, 14 → 9, 16 → 10."""
    return max(0, min(12, zoom // 2 + 2))


def _bin_step(params: MapParams) -> tuple[int, float]:
    """The h3 resolution and the SQL grid step (degrees), coarsened until the grid has ≤ MAX_BINS cells."""
    min_lon, min_lat, max_lon, max_lat = params.box
    res = h3_resolution(params.zoom)
    while True:
        # A grid step of ¾ of the hexagon's edge: each hexagon gathers a few groups, whose centres decide.
        step = h3.average_hexagon_edge_length(res, unit="km") / 111.32 * 0.75
        groups = math.ceil(max(max_lon - min_lon, 1e-9) / step) * math.ceil(
            max(max_lat - min_lat, 1e-9) / step
        )
        if groups <= MAX_BINS or res == 0:
            return res, step
        res -= 1


def _hexagons(qs: QuerySet[Case], params: MapParams, *, staff: bool) -> LayerAnswer:
    res, step = _bin_step(params)
    min_lon, min_lat = params.box[0], params.box[1]
    groups = (
        qs.annotate(gx=Floor((F("lon") - min_lon) / step), gy=Floor((F("lat") - min_lat) / step))
        .values("gx", "gy")
        .annotate(n=Count("*"))
        .order_by()
    )  # COUNT(*): an index-only scan can do
    bins: dict[str, int] = defaultdict(int)
    for g in groups:
        lon = min_lon + (g["gx"] + 0.5) * step
        lat = min_lat + (g["gy"] + 0.5) * step
        bins[h3.latlng_to_cell(lat, lon, res)] += g["n"]
    bounds = classes(list(bins.values()))
    top = max(bins.values(), default=0)
    features = []
    for index, n in sorted(bins.items()):
        ring = [[round(lon, 6), round(lat, 6)] for lat, lon in h3.cell_to_boundary(index)]
        ring.append(ring[0])
        card = {
            "title": _("%(n)d 件案件") % {"n": n},
            "text": _("放大地图可查看每个案件"),
            "rows": [[_("汇总方式"), _("六边形 (h3 分辨率 %(r)d)") % {"r": res}]],
        }
        features.append(
            _feature(
                {"type": "Polygon", "coordinates": [ring]},
                {"h3": index, "count": n, "fill": _colour_for(n, bounds, BIN_RAMP), "card": card},
                fid=index,
            )
        )
    return LayerAnswer(
        features=features,
        mode="binned",
        legend=_ramp_legend(bounds, BIN_RAMP, top) if top else [],
        total=sum(bins.values()),
    )


def _cell_aggregates(params: MapParams, counts: dict[int, int], revision: object) -> LayerAnswer:
    """Cases per unit grid cell of the view, from the rollup: the staff's unfiltered binned view."""
    cells = [c for c in _cells(params) if counts.get(c.pk)]
    values = [counts[c.pk] for c in cells]
    bounds = classes(values)
    top = max(values, default=0)
    features = []
    title, text, t_by, t_cell, t_community = (
        _("%(n)d 件案件"),
        _("放大地图可查看每个案件"),
        _("汇总方式"),
        _("单元网格"),
        _("社区"),
    )
    for cell, n in zip(cells, values, strict=True):
        card = {
            "title": title % {"n": n},
            "text": text,
            "rows": [[t_by, t_cell], [t_cell, f"{cell.name} {cell.code}"], [t_community, cell.community]],
        }
        features.append(
            _feature(
                _area_geojson("cell", cell.pk, cell.geometry, params.zoom, revision),
                {"cell": cell.code, "count": n, "fill": _colour_for(n, bounds, BIN_RAMP), "card": card},
                fid=cell.code,
            )
        )
    return LayerAnswer(
        features=features,
        mode="binned",
        legend=_ramp_legend(bounds, BIN_RAMP, top) if top else [],
        total=sum(values),
    )


def layer_cases(params: MapParams, *, staff: bool, now: datetime, revision: object) -> LayerAnswer:
    """Points when at most POINT_LIMIT cases are in view; beyond, counts: per unit grid cell from the rollup
    without a case filter (a few thousand rollup rows instead of the period's cases; for the public, less
    the cases hidden from them), else h3 hexagons counted in SQL (public cases only for the public)."""
    qs = case_queryset(params, staff=staff).in_bbox(*params.box)
    # The ids in view up to the threshold first, from the index case_map_idx alone (no case row is
    # read; unordered, so it stops at the threshold), then the rows of those ids — or, beyond the
    # threshold, counts.
    ids = list(qs.order_by().values_list("id", flat=True)[: POINT_LIMIT + 1])
    if len(ids) > POINT_LIMIT:
        counts = _rollup_counts(params)
        if counts is not None:
            return _cell_aggregates(params, counts if staff else _public_counts(params, counts), revision)
        return _hexagons(qs, params, staff=staff)
    # By primary key and unordered in SQL: with the view's conditions instead, or an ORDER BY created_at,
    # both databases walk the period on the created_at index and read every case of it. Newest first in Python.
    rows = (
        sorted(
            case_values(Case.objects.filter(pk__in=ids).order_by(), now, "id"),
            key=lambda r: (r["created_at"], r["id"]),
            reverse=True,
        )
        if ids
        else []
    )
    present = {row["status"] for row in rows}
    legend = [item for item in _legend(LAYERS["cases"]) if item["value"] in present]
    cards = CaseCards(staff=staff, now=now)
    return LayerAnswer(
        features=[cards.feature(row) for row in rows], mode="points", legend=legend, total=len(rows)
    )


def layer_duplicates(params: MapParams, *, staff: bool, now: datetime, revision: object) -> LayerAnswer:
    """Where people piled on in the period: cases that received me-too reports (附议) or merged duplicates
    (并案 — intake writes a ME_TOO event on the original for each) during the period, hottest first.

    Driven by the period's ME_TOO events (index event_map_idx on action, created_at, case: the events'
    rows are not read), joined to their case for the view and the filters, grouped and ranked in SQL:
    one query for the hottest HOTSPOT_LIMIT (+1, to know whether there are more), one for their rows.
    """
    ranked = list(
        CaseEvent.objects.filter(
            action=Action.ME_TOO, created_at__gte=params.start_at, created_at__lt=params.end_at
        )
        .filter(
            case_filter(params, staff=staff, period=False, prefix="case__"),
            bbox_filter(params, prefix="case__"),
        )
        .values("case_id")
        .annotate(n=Count("*"))
        .order_by("-n", "-case_id")
        .values_list("case_id", "n")[: HOTSPOT_LIMIT + 1]
    )
    heat = dict(ranked[:HOTSPOT_LIMIT])
    rows = sorted(
        case_values(Case.objects.filter(pk__in=heat).order_by(), now, "id"),
        key=lambda r: (-heat[r["id"]], -r["id"]),
    )
    for row in rows:
        row["heat"] = heat[row["id"]]
    cards = CaseCards(staff=staff, now=now)
    features = []
    for row in rows[:HOTSPOT_LIMIT]:
        f = cards.feature(row, heat=row["heat"])
        f["properties"]["radius"] = min(18, 5 + 2 * row["heat"])
        features.append(f)
    return LayerAnswer(
        features=features,
        mode="points",
        total=len(features),
        truncated=len(ranked) > HOTSPOT_LIMIT,
        legend=[{"colour": HEX["red"], "label": _("圈越大，附议和并案越多")}],
    )


def layer_boundaries(params: MapParams, *, staff: bool, now: datetime, revision: object) -> LayerAnswer:
    min_lon, min_lat, max_lon, max_lat = params.box
    inside = Q(min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat)
    streets = Street.objects.filter(inside).order_by("code")
    communities = Community.objects.filter(inside).select_related("street").order_by("code")
    if params.narrowed:
        streets = streets.filter(params.street_q("pk"))
        communities = communities.filter(params.street_q())
    features = []
    for level, rows in (("street", list(streets)), ("community", list(communities))):
        for area in rows:
            geometry = _area_geojson(level, area.pk, area.geometry, params.zoom, revision)
            if geometry is None:
                continue
            rows_ = [[_("编码"), area.code]]
            if level == "community":
                rows_.append([_("街道"), area.street.name])
            features.append(
                _feature(
                    geometry,
                    {
                        "level": level,
                        "code": area.code,
                        "name": area.name,
                        "colour": "#37474f" if level == "street" else "#78909c",
                        "card": {"title": area.name, "text": "", "rows": rows_},
                    },
                    fid=area.code,
                )
            )
    return LayerAnswer(features=features, mode="boundaries", legend=_legend(LAYERS["boundaries"]))


def layer_places(params: MapParams, *, staff: bool, now: datetime, revision: object) -> LayerAnswer:
    min_lon, min_lat, max_lon, max_lat = params.box
    qs = (
        Place.objects.filter(lon__gte=min_lon, lon__lte=max_lon, lat__gte=min_lat, lat__lte=max_lat)
        .select_related("category")
        .annotate(coded=Exists(Code.objects.filter(place=OuterRef("pk"), status=CodeStatus.ACTIVE)))
    )
    if params.category_ids:
        qs = qs.filter(category_id__in=params.category_ids)
    if params.narrowed:
        qs = qs.filter(params.street_q("cell__street_id"))
    rows = list(qs.order_by("component_code")[: PLACE_LIMIT + 1])
    features = []
    for p in rows[:PLACE_LIMIT]:
        colour = HEX["teal"] if p.coded else HEX["grey"]
        card = {
            "title": p.name,
            "text": p.address,
            "rows": [
                [_("部件标识码"), p.component_code],
                [_("类别"), f"{p.category.code} {p.category.name}"],
                [_("二维码"), _("已赋码") if p.coded else _("未赋码")],
            ],
        }
        features.append(
            _feature(
                _point(p.lon, p.lat),
                {"code": p.component_code, "colour": colour, "card": card},
                fid=p.component_code,
            )
        )
    return LayerAnswer(
        features=features,
        mode="points",
        legend=_legend(LAYERS["places"]),
        truncated=len(rows) > PLACE_LIMIT,
        total=len(features),
    )


def layer_merchants(params: MapParams, *, staff: bool, now: datetime, revision: object) -> LayerAnswer:
    min_lon, min_lat, max_lon, max_lat = params.box
    rows = list(
        Merchant.objects.filter(lon__gte=min_lon, lon__lte=max_lon, lat__gte=min_lat, lat__lte=max_lat)
        .only("id", "name", "address", "lat", "lon", "grade")
        .order_by("name")[: PLACE_LIMIT + 1]
    )
    features = []
    for m in rows[:PLACE_LIMIT]:
        grade = m.get_grade_display() if m.grade else _("未评级")
        card = {"title": m.name, "text": m.address, "rows": [[_("创城等级"), grade]]}
        features.append(
            _feature(
                _point(m.lon, m.lat),
                {"grade": m.grade, "colour": HEX[GRADE_COLOURS[m.grade]], "card": card},
                fid=f"merchant-{m.pk}",
            )
        )
    return LayerAnswer(
        features=features,
        mode="points",
        legend=_legend(LAYERS["merchants"]),
        truncated=len(rows) > PLACE_LIMIT,
        total=len(features),
    )


def layer_stalls(params: MapParams, *, staff: bool, now: datetime, revision: object) -> LayerAnswer:
    view = shapely.box(*params.box)
    features = []
    for s in Stall.objects.only("id", "goods", "zone", "hours_start", "hours_end").order_by("id"):
        if s.shape is None or not s.shape.intersects(view):
            continue
        hours = f"{s.hours_start:%H:%M}–{s.hours_end:%H:%M}"
        card = {
            "title": _("流动摊位 %(id)s") % {"id": s.pk},
            "text": s.goods,
            "rows": [[_("经营品类"), s.goods], [_("允许时段"), hours]],
        }
        features.append(
            _feature(
                shapely.geometry.mapping(s.shape),
                {"goods": s.goods, "hours": hours, "fill": HEX["purple"], "card": card},
                fid=f"stall-{s.pk}",
            )
        )
        if len(features) >= STALL_LIMIT:
            break
    return LayerAnswer(
        features=features, mode="polygons", legend=_legend(LAYERS["stalls"]), total=len(features)
    )


def layer_hotspots(params: MapParams, *, staff: bool, now: datetime, revision: object) -> LayerAnswer:
    """The hot issues (hotspots app) whose span meets the period, in the view: a circle at each one's
    centre, sized by its heat (the area grows with it), red while active, grey once cooled; the card
    gives its representative text, counts and span, and links to its cases. Rows the worker keeps:
    nothing is clustered here."""
    min_lon, min_lat, max_lon, max_lat = params.box
    qs = HotIssue.objects.filter(
        lon__gte=min_lon,
        lon__lte=max_lon,
        lat__gte=min_lat,
        lat__lte=max_lat,
        last_report_at__gte=params.start_at,
        first_report_at__lt=params.end_at,
    ).filter(params.street_q())
    if params.category_ids:
        qs = qs.filter(category_id__in=params.category_ids)
    issues = list(qs.select_related("category", "street").order_by("-heat", "-id")[: HOTSPOT_LIMIT + 1])
    labels = {
        "heat": _("热度"),
        "reports": _("上报"),
        "span": _("时间"),
        "address": _("地点"),
        "status": _("状态"),
        "open": _("查看案件"),
    }
    features = []
    for issue in issues[:HOTSPOT_LIMIT]:
        active = issue.status == HotIssueStatus.ACTIVE
        reports = _("%(cases)s 件案件，%(reports)s 次上报，%(people)s 人") % {
            "cases": issue.case_count,
            "reports": issue.report_count,
            "people": issue.reporter_count,
        }
        card = {
            "title": f"{issue.category.name if issue.category_id else _('热点问题')} · {issue.case_count}",
            "text": issue.representative_text[:140],
            "rows": [
                [labels["heat"], f"{issue.heat:.0f}"],
                [labels["status"], str(issue.get_status_display())],
                [labels["reports"], reports],
                [labels["span"], span_label(issue)],
                [labels["address"], issue.address or (issue.street.name if issue.street_id else "—")],
            ],
            "url": f"/dashboard/hotspots/{issue.pk}/",
            "link": labels["open"],
        }
        props = {
            "id": issue.pk,
            "status": issue.status,
            "heat": round(issue.heat, 1),
            "colour": HEX["red"] if active else HEX["grey"],
            "radius": round(min(30.0, 6 + 2.5 * math.sqrt(max(issue.heat, 0.0))), 1),
            "card": card,
        }
        features.append(_feature(_point(issue.lon, issue.lat), props, fid=f"hotspot-{issue.pk}"))
    return LayerAnswer(
        features=features,
        mode="points",
        total=len(features),
        truncated=len(issues) > HOTSPOT_LIMIT,
        legend=_legend(LAYERS["hotspots"]),
    )


def layer_volunteers(params: MapParams, *, staff: bool, now: datetime, revision: object) -> LayerAnswer:
    """Published volunteer activities in the view with a shift not yet over: live (a shift under way) or
    upcoming, each with its next shift's time and the places taken of that shift's capacity. The map's
    period does not apply: these are what one may still join. Colour: red live, green with places, grey
    full."""
    min_lon, min_lat, max_lon, max_lat = params.box
    activities = (
        Activity.objects.filter(
            status=ActivityStatus.PUBLISHED,
            lon__gte=min_lon,
            lon__lte=max_lon,
            lat__gte=min_lat,
            lat__lte=max_lat,
            shifts__ends_at__gt=now,
        )
        .filter(params.street_q())
        .distinct()
        .only("id", "title", "kind", "address", "lat", "lon", "description")
        .order_by("id")[: VOLUNTEER_LIMIT + 1]
    )
    activities = list(activities)
    shifts: dict[int, Shift] = {}
    for shift in (
        Shift.objects.filter(activity__in=activities[:VOLUNTEER_LIMIT], ends_at__gt=now)
        .only("id", "activity_id", "starts_at", "ends_at", "capacity", "seats_taken")
        .order_by("starts_at", "id")
    ):
        shifts.setdefault(shift.activity_id, shift)  # the first not over: live, or the next to start
    kinds = dict(ActivityType.choices)
    labels = {
        "kind": _("类型"),
        "address": _("地点"),
        "next": _("下一班次"),
        "now": _("进行中"),
        "places": _("报名/名额"),
        "open": _("查看活动"),
    }
    features = []
    for a in activities[:VOLUNTEER_LIMIT]:
        shift = shifts.get(a.pk)
        if shift is None:
            continue
        live = shift.starts_at <= now
        full = shift.seats_taken >= shift.capacity
        state = "live" if live else "full" if full else "open"
        colour = HEX["red"] if live else HEX["grey"] if full else HEX["green"]
        start = timezone.localtime(shift.starts_at)
        end = timezone.localtime(shift.ends_at)
        when = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        card = {
            "title": a.title,
            "text": a.description[:140],
            "rows": [
                [labels["kind"], str(kinds.get(a.kind, a.kind))],
                [labels["now"] if live else labels["next"], when],
                [labels["places"], f"{shift.seats_taken}/{shift.capacity}"],
                [labels["address"], a.address],
            ],
            "url": f"/v/a/{a.pk}/",
            "link": labels["open"],
        }
        props = {
            "id": a.pk,
            "title": a.title,
            "kind": a.kind,
            "state": state,
            "next_shift": start.isoformat(),
            "taken": shift.seats_taken,
            "capacity": shift.capacity,
            "colour": colour,
            "card": card,
        }
        features.append(_feature(_point(a.lon, a.lat), props, fid=f"activity-{a.pk}"))
    return LayerAnswer(
        features=features,
        mode="points",
        legend=_legend(LAYERS["volunteers"]),
        truncated=len(activities) > VOLUNTEER_LIMIT,
        total=len(features),
    )


BUILDERS = {
    "volunteers": layer_volunteers,
    "hotspots": layer_hotspots,
    "boundaries": layer_boundaries,
    "cell_density": layer_cell_density,
    "cell_overdue": layer_cell_overdue,
    "cases": layer_cases,
    "duplicates": layer_duplicates,
    "places": layer_places,
    "merchants": layer_merchants,
    "stalls": layer_stalls,
}


def layer_geojson(spec: LayerSpec, params: MapParams, *, staff: bool, now: datetime, version: str) -> dict:
    """The layer as a GeoJSON FeatureCollection with what the page needs beside the features."""
    revision = json.loads(version)[1 + spec.sources.index("grid")] if "grid" in spec.sources else None
    answer = BUILDERS[spec.id](params, staff=staff, now=now, revision=revision)
    return {
        "type": "FeatureCollection",
        "layer": spec.id,
        "mode": answer.mode,
        "features": answer.features,
        "legend": answer.legend,
        "total": answer.total,
        "truncated": answer.truncated,
        "period": {"start": params.start.isoformat(), "end": params.end.isoformat()},
    }
