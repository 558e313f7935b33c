"""The city map (一张图): the layer catalogue, and each layer as GeoJSON for a bbox, a zoom and filters.

This module holds the catalogue, the parameters, the versions and what the layers share (case
filters, the case card); `maps.layers` builds each layer.

Who sees what: staff who may see the whole city (Capability.VIEW_CITY) see every case and every
layer; everybody else sees the public layers and only public cases, masked by
`cases.selectors.public_out` exactly as on /reports/.

Each answer carries a version (`layer_version`) from which the API derives its ETag: the latest
CaseEvent id for case layers (every change of a case appends one), the grid revision for cells
and boundaries, the rows of the codes tables for places, merchants and stalls; layers that change
with the clock also carry the current span of CIVICGRID_MAP_LIVE_SECONDS.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import shapely
from django.conf import settings
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from civicgrid.accounts.roles import Capability, user_can
from civicgrid.cases.choices import STATUS_COLOURS, TIMED_STATUSES, CaseStatus
from civicgrid.cases.models import Case, CaseEvent, hidden_statuses
from civicgrid.cases.publication import public_text
from civicgrid.cases.selectors import status_in_sql
from civicgrid.codes.choices import GRADE_COLOURS, CodeStatus, Grade
from civicgrid.codes.models import Merchant, MerchantInspection, Place, Stall
from civicgrid.core.errors import DomainError, NotFound, PermissionDenied
from civicgrid.grids.models import GridRevision, Street
from civicgrid.hotspots.models import HotIssue
from civicgrid.taxonomy.models import Category
from civicgrid.volunteers.models import Activity, ActivityStatus, Shift

# Bump when the shape of an answer changes, so that no browser keeps an old one under the same ETag.
CODE_VERSION = "1"
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
MAX_AGE = 60  # seconds a browser may reuse an answer without asking (Cache-Control: private)

HEX = {
    "blue": "#1e88e5",
    "grey": "#9e9e9e",
    "indigo": "#3949ab",
    "orange": "#fb8c00",
    "amber": "#ffb300",
    "purple": "#8e24aa",
    "teal": "#00897b",
    "cyan": "#00acc1",
    "green": "#43a047",
    "brown": "#6d4c41",
    "red": "#e53935",
}
DENSITY_RAMP = ["#fff3c4", "#fed976", "#fd8d3c", "#e31a1c", "#800026"]
OVERDUE_RAMP = ["#fde0dd", "#fa9fb5", "#f768a1", "#c51b8a", "#7a0177"]
BIN_RAMP = ["#c6dbef", "#6baed6", "#3182bd", "#08519c", "#08306b"]

PUBLIC, STAFF = "public", "staff"


@dataclass(frozen=True)
class LayerSpec:
    id: str
    name: object  # lazy translation
    kind: str  # choropleth | points | polygons | boundaries
    audience: str  # public | staff
    description: object
    # which data changes make the answer stale: "cases", "grid", "places", "merchants", "stalls", "hotspots"
    sources: tuple[str, ...]
    # Depends on the clock (overdue, lights) or on the rollup, which the worker catches up after the
    # events: the version includes the current minute.
    live: bool = False


LAYERS: dict[str, LayerSpec] = {
    spec.id: spec
    for spec in [
        LayerSpec(
            "boundaries",
            gettext_lazy("街道社区边界"),
            "boundaries",
            PUBLIC,
            gettext_lazy("街道与社区的边界"),
            ("grid",),
        ),
        LayerSpec(
            "cell_density",
            gettext_lazy("网格案件密度"),
            "choropleth",
            STAFF,
            gettext_lazy("时段内每个单元网格上报的案件数"),
            ("cases", "grid"),
            live=True,
        ),
        LayerSpec(
            "cell_overdue",
            gettext_lazy("网格超期案件"),
            "choropleth",
            STAFF,
            gettext_lazy("时段内上报、现已超过时限仍未办结的案件数"),
            ("cases", "grid"),
            live=True,
        ),
        LayerSpec(
            "cases",
            gettext_lazy("案件（按状态）"),
            "points",
            PUBLIC,
            gettext_lazy("案件点位；视野内案件过多时按六边形汇总"),
            ("cases", "grid"),
            live=True,
        ),
        LayerSpec(
            "duplicates",
            gettext_lazy("重复/附议热点"),
            "points",
            PUBLIC,
            gettext_lazy("时段内有人附议或被并案的案件，按热度排列"),
            ("cases",),
        ),
        LayerSpec(
            "hotspots",
            gettext_lazy("热点问题"),
            "points",
            STAFF,
            gettext_lazy("相近时间、地点的同类或相似上报聚成的热点问题；圈越大热度越高"),
            ("hotspots",),
        ),
        LayerSpec(
            "places",
            gettext_lazy("部件与场所"),
            "points",
            PUBLIC,
            gettext_lazy("带部件标识码的部件和场所，是否已赋码"),
            ("places",),
        ),
        LayerSpec(
            "merchants",
            gettext_lazy("商户（按创城等级）"),
            "points",
            PUBLIC,
            gettext_lazy("商户点位，颜色为最近一次检查的等级"),
            ("merchants",),
        ),
        LayerSpec(
            "volunteers",
            gettext_lazy("志愿活动"),
            "points",
            PUBLIC,
            gettext_lazy("正在进行和即将开始的志愿服务活动：下一班次时间与报名人数/名额"),
            ("volunteers",),
            live=True,  # "live" and "upcoming" change with the clock
        ),
        LayerSpec(
            "stalls",
            gettext_lazy("流动摊位经营区"),
            "polygons",
            STAFF,
            gettext_lazy("流动摊位允许经营的区域和时段"),
            ("stalls",),
        ),
    ]
}


def is_staff_viewer(user) -> bool:
    return user_can(user, Capability.VIEW_CITY)


def _legend(spec: LayerSpec) -> list[dict]:
    if spec.id == "cell_density":
        return [{"colour": c, "label": ""} for c in DENSITY_RAMP]
    if spec.id == "cell_overdue":
        return [{"colour": c, "label": ""} for c in OVERDUE_RAMP]
    if spec.id in ("cases", "duplicates"):
        return [
            {"colour": HEX[STATUS_COLOURS[s]], "label": str(s.label), "value": s.value} for s in CaseStatus
        ]
    if spec.id == "merchants":
        return [
            {"colour": HEX[GRADE_COLOURS[g.value]], "label": str(g.label), "value": g.value} for g in Grade
        ] + [{"colour": HEX["grey"], "label": _("未评级"), "value": ""}]
    if spec.id == "places":
        return [{"colour": HEX["teal"], "label": _("已赋码")}, {"colour": HEX["grey"], "label": _("未赋码")}]
    if spec.id == "stalls":
        return [{"colour": HEX["purple"], "label": _("允许经营区域")}]
    if spec.id == "volunteers":
        return [
            {"colour": HEX["red"], "label": _("进行中"), "value": "live"},
            {"colour": HEX["green"], "label": _("可报名"), "value": "open"},
            {"colour": HEX["grey"], "label": _("已满员"), "value": "full"},
        ]
    if spec.id == "hotspots":
        return [
            {"colour": HEX["red"], "label": _("活跃（圈越大热度越高）"), "value": "active"},
            {"colour": HEX["grey"], "label": _("已降温"), "value": "cooled"},
        ]
    return [{"colour": "#37474f", "label": _("街道")}, {"colour": "#78909c", "label": _("社区")}]


def catalogue(user) -> list[dict]:
    """Every layer with its name, kind, legend and audience, and whether this viewer may load it."""
    staff = is_staff_viewer(user)
    return [
        {
            "id": spec.id,
            "name": str(spec.name),
            "kind": spec.kind,
            "audience": spec.audience,
            "description": str(spec.description),
            "available": staff or spec.audience == PUBLIC,
            "legend": _legend(spec),
        }
        for spec in LAYERS.values()
    ]


def layer_spec(layer_id: str, user) -> LayerSpec:
    spec = LAYERS.get(layer_id)
    if spec is None:
        raise NotFound("layer_unknown", f"没有图层 {layer_id!r}", f"no layer {layer_id!r}", field="layer")
    if spec.audience == STAFF and not is_staff_viewer(user):
        raise PermissionDenied(
            "layer_forbidden",
            f"图层 {layer_id} 仅对指挥中心和领导开放",
            f"layer {layer_id} is for the command centre and leaders only",
            field="layer",
        )
    return spec


# --- parameters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapParams:
    """The parsed, checked request: view, period (local days, inclusive) and filters."""

    box: tuple[float, float, float, float]
    zoom: int
    start: date
    end: date
    statuses: tuple[str, ...] = ()
    category_ids: tuple[int, ...] = ()
    street_id: int | None = None
    # The viewer's command area (grids/scope.py): its streets; None for the whole city.
    area: tuple[int, ...] | None = None
    raw: dict = field(default_factory=dict, compare=False)

    def street_q(self, column: str = "street_id") -> Q:
        """The street filter, or the command area's streets, on `column` (nothing for the whole city)."""
        if self.street_id:
            return Q(**{column: self.street_id})
        if self.area is not None:
            return Q(**{f"{column}__in": self.area})
        return Q()

    @property
    def narrowed(self) -> bool:
        """Is the answer limited to some streets (a street filter or a command area)?"""
        return bool(self.street_id) or self.area is not None

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def key(self) -> str:
        return json.dumps(
            [
                self.box,
                self.zoom,
                self.start.isoformat(),
                self.end.isoformat(),
                self.statuses,
                self.category_ids,
                self.street_id,
                self.area,
            ]
        )


def _bad(code: str, zh: str, en: str, field: str) -> DomainError:
    return DomainError(code, zh, en, field=field)


def parse_params(
    *,
    bbox: str,
    zoom: int,
    start: date | None,
    end: date | None,
    statuses: list[str] | None,
    category: str | None,
    street: str | None,
    now: datetime,
    viewer=None,
) -> MapParams:
    """Check the request; every refusal names its field (nothing is half-applied).

    A district's or street's command centre (`viewer` with a command area, grids/scope.py) sees its area
    only: the view is clipped to the area's bounds, every layer with a street is narrowed to the area's
    streets, and a street filter outside the area is refused (403)."""
    from civicgrid.grids.scope import area_of, check_street_in_area
    from civicgrid.grids.selectors import parse_bbox

    box = parse_bbox(bbox)
    if box[0] < -180 or box[2] > 180 or box[1] < -90 or box[3] > 90:
        raise _bad("bbox_invalid", "bbox 超出经纬度范围", "bbox is outside longitude/latitude range", "bbox")
    if not 0 <= zoom <= 22:
        raise _bad("zoom_invalid", "zoom 应在 0 到 22 之间", "zoom must be between 0 and 22", "zoom")
    today = timezone.localdate(now)
    if end is None:
        end = (
            today if start is None or start > today else min(today, start + timedelta(days=DEFAULT_DAYS - 1))
        )
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise _bad("period_invalid", "开始日期晚于结束日期", "start is after end", "start")
    if (end - start).days + 1 > MAX_DAYS:
        raise _bad(
            "period_too_long", f"时段最长 {MAX_DAYS} 天", f"the period is at most {MAX_DAYS} days", "start"
        )
    category_ids: tuple[int, ...] = ()
    if category:
        kind, _sep, code = category.strip().rpartition(":")
        qs = Category.objects.filter(code=code)
        if kind:
            qs = qs.filter(kind=kind)
        category_ids = tuple(sorted(qs.values_list("id", flat=True)))
        if not category_ids:
            raise _bad(
                "category_unknown", f"未知的分类 {category!r}", f"unknown category {category!r}", "category"
            )
    street_id = None
    if street:
        street_id = Street.objects.filter(code=street).values_list("id", flat=True).first()
        if street_id is None:
            raise _bad("street_unknown", f"未知的街道 {street!r}", f"unknown street {street!r}", "street")
        check_street_in_area(viewer, street_id)
    area = area_of(viewer)
    if area is not None and area.bounds is not None:
        box = _clip(box, area.bounds)
    return MapParams(
        box=box,
        zoom=zoom,
        start=start,
        end=end,
        statuses=tuple(sorted(set(statuses or ()))),
        category_ids=category_ids,
        street_id=street_id,
        area=area.street_ids if area is not None else None,
    )


def _clip(box: tuple[float, ...], bounds: tuple[float, ...]) -> tuple[float, float, float, float]:
    """The part of the view inside the bounds; a view beside them shrinks to the bounds' corner."""
    w, s, e, n = (
        max(box[0], bounds[0]),
        max(box[1], bounds[1]),
        min(box[2], bounds[2]),
        min(box[3], bounds[3]),
    )
    if w > e or s > n:
        return (bounds[0], bounds[1], bounds[0], bounds[1])
    return (w, s, e, n)


# --- versions and ETags -----------------------------------------------------------------------------


def _source_version(source: str) -> object:
    if source == "cases":
        # An edit of a public summary (cases.CaseSummaryEdit) appends no event: the public's cards show
        # it once any case of the city moves next (in a city, within seconds to minutes).
        return CaseEvent.objects.aggregate(m=Max("id"))["m"]
    if source == "grid":
        return GridRevision.objects.values_list("revision", flat=True).first()
    if source == "places":
        return list(
            Place.objects.aggregate(
                m=Max("id"), n=Count("id"), c=Max("codes__id", filter=Q(codes__status=CodeStatus.ACTIVE))
            ).values()
        )
    if source == "merchants":
        return [
            *Merchant.objects.aggregate(m=Max("id"), n=Count("id")).values(),
            MerchantInspection.objects.aggregate(m=Max("id"))["m"],
        ]
    if source == "stalls":
        return list(Stall.objects.aggregate(m=Max("id"), n=Count("id")).values())
    if source == "hotspots":
        # The worker rewrites the rows it re-clusters and re-heats (updated_at), and may delete some.
        return list(HotIssue.objects.aggregate(m=Max("id"), n=Count("id"), u=Max("updated_at")).values())
    if source == "volunteers":
        # New activities and shifts add rows; sign-ups and cancellations move seats_taken; a cancelled
        # activity leaves the published count.
        return [
            *Activity.objects.aggregate(
                m=Max("id"), n=Count("id", filter=Q(status=ActivityStatus.PUBLISHED))
            ).values(),
            *Shift.objects.aggregate(m=Max("id"), n=Count("id"), t=Sum("seats_taken")).values(),
        ]
    raise ValueError(source)


def layer_version(spec: LayerSpec, now: datetime) -> str:
    """What the layer's data looks like now, in a few indexed aggregate queries (one per source)."""
    parts = [CODE_VERSION, *(_source_version(s) for s in spec.sources)]
    if spec.live:
        # Overdue counts and lights change with the clock: a new version every CIVICGRID_MAP_LIVE_SECONDS.
        parts.append(int(now.timestamp()) // max(1, settings.CIVICGRID_MAP_LIVE_SECONDS))
    return json.dumps(parts, default=str)


def etag_for(spec: LayerSpec, params: MapParams, *, version: str, staff: bool) -> str:
    digest = hashlib.sha256(
        "|".join([spec.id, version, params.key(), STAFF if staff else PUBLIC, get_language() or ""]).encode()
    ).hexdigest()[:32]
    return f'W/"{digest}"'


# --- helpers ----------------------------------------------------------------------------------------


def _feature(geometry: dict | None, properties: dict, fid: str | int | None = None) -> dict:
    out = {"type": "Feature", "geometry": geometry, "properties": properties}
    if fid is not None:
        out["id"] = fid
    return out


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def _tolerance(zoom: int) -> float:
    """About one screen pixel in degrees at this zoom: finer detail is never seen."""
    return 360.0 / (256 * 2**zoom)


_shape_cache: dict[tuple, dict] = {}


def _area_geojson(kind: str, pk: int, wkb: bytes | None, zoom: int, revision: object) -> dict | None:
    """The simplified outline of a cell/community/street, cached per grid revision and zoom."""
    key = (kind, pk, revision, zoom)
    hit = _shape_cache.get(key)
    if hit is None:
        if not wkb:
            return None
        shape = shapely.from_wkb(bytes(wkb))
        if len(_shape_cache) > 50_000:
            _shape_cache.clear()
        hit = shapely.geometry.mapping(shapely.simplify(shape, _tolerance(zoom), preserve_topology=True))
        _shape_cache[key] = hit
    return hit


def classes(values: list[int]) -> list[int]:
    """Up to five lower bounds splitting the non-zero values into classes of about equal size (quantiles);
    the first is always 1, so that any non-zero value is coloured."""
    ranked = sorted(v for v in values if v > 0)
    if not ranked:
        return [1]
    if ranked[-1] <= 5:
        return list(range(1, ranked[-1] + 1))
    cuts = {ranked[min(len(ranked) - 1, math.floor(len(ranked) * q))] for q in (0.2, 0.4, 0.6, 0.8)}
    return sorted({1, *cuts})[:5]


def _class_of(value: int, bounds: list[int]) -> int:
    out = 0
    for i, b in enumerate(bounds):
        if value >= b:
            out = i
    return out


def _ramp_legend(bounds: list[int], ramp: list[str], top: int) -> list[dict]:
    out = []
    for i, low in enumerate(bounds):
        high = bounds[i + 1] - 1 if i + 1 < len(bounds) else top
        colour = ramp[min(len(ramp) - 1, round(i * (len(ramp) - 1) / max(len(bounds) - 1, 1)))]
        out.append({"colour": colour, "label": str(low) if high <= low else f"{low}–{high}", "min": low})
    return out


def _colour_for(value: int, bounds: list[int], ramp: list[str]) -> str:
    i = _class_of(value, bounds)
    return ramp[min(len(ramp) - 1, round(i * (len(ramp) - 1) / max(len(bounds) - 1, 1)))]


def case_filter(params: MapParams, *, staff: bool, period: bool = True, prefix: str = "") -> Q:
    """What `case_queryset` selects, as a condition on Case (or on a relation to it: `prefix="case__"`),
    so that a query over events can join the case instead of testing ids against a second query."""
    q = Q()
    if not staff:  # as CaseQuerySet.public()
        q &= Q(**{f"{prefix}is_public": True}) & ~Q(**{f"{prefix}status__in": hidden_statuses()})
    if period:
        q &= Q(**{f"{prefix}created_at__gte": params.start_at, f"{prefix}created_at__lt": params.end_at})
    if params.statuses:
        q &= Q(**{f"{prefix}status__in": params.statuses})
    if params.category_ids:
        q &= Q(**{f"{prefix}category_id__in": params.category_ids})
    if params.narrowed:
        q &= params.street_q(f"{prefix}street_id")
    return q


# The condition of the partial index case_hidden_idx, written out: SQLite uses a partial index only
# when the query states its condition with the same constants (a status bound as a parameter does not
# match), so the statuses are in the SQL text.
HIDDEN_INDEX_CONDITION = RawSQL(
    f"""(NOT "cases_case"."is_public" OR """
    f"""{status_in_sql([CaseStatus.MERGED, CaseStatus.REJECTED, CaseStatus.REPORTED])})""",
    (),
    output_field=BooleanField(),
)


def hidden_from_public() -> list:
    """The complement of CaseQuerySet.public(), as filter arguments: the index's condition, and when
    unregistered reports are published (CIVICGRID_PUBLISH_BEFORE_REGISTRATION), less the public ones
    among them — a second term keeps the index's condition a term of the query, so the index serves."""
    if CaseStatus.REPORTED in hidden_statuses():
        return [HIDDEN_INDEX_CONDITION]
    return [HIDDEN_INDEX_CONDITION, ~Q(is_public=True, status=CaseStatus.REPORTED)]


def bbox_filter(params: MapParams, *, prefix: str = "") -> Q:
    """Cases whose point lies in the view (as CaseQuerySet.in_bbox)."""
    min_lon, min_lat, max_lon, max_lat = params.box
    return Q(
        **{
            f"{prefix}lon__gte": min_lon,
            f"{prefix}lon__lte": max_lon,
            f"{prefix}lat__gte": min_lat,
            f"{prefix}lat__lte": max_lat,
        }
    )


def case_queryset(params: MapParams, *, staff: bool, period: bool = True) -> QuerySet[Case]:
    """Cases reported in the period (unless `period=False`) that pass the filters and that this viewer
    may see on the map. Everything it tests is in the index `case_map_idx` (created_at, lon, lat,
    is_public, status, category, street, id), so that counting or binning the period's cases in a view
    reads that index alone."""
    return Case.objects.filter(case_filter(params, staff=staff, period=period))


def case_url(number: str, *, staff: bool) -> str:
    """Staff open the console page of a case, everybody else its public page."""
    return f"/console/cases/{number}/" if staff else f"/reports/{number}/"


CASE_VALUES = (
    "number",
    "status",
    "category__name",
    "description",
    "public_summary",
    "address",
    "lat",
    "lon",
    "me_too_count",
    "created_at",
    "department__name",
    "light",
)


def case_values(qs: QuerySet[Case], now: datetime, *extra: str):
    """The rows CaseCards needs; the light (时限) is worked out in SQL, which saves parsing two timestamps a row."""
    light = DbCase(
        When(Q(due_at__isnull=True) | ~Q(status__in=TIMED_STATUSES), then=Value("none")),
        When(due_at__lt=now, then=Value("red")),
        When(warn_at__lte=now, then=Value("yellow")),
        default=Value("green"),
        output_field=CharField(),
    )
    return qs.annotate(light=light).values(*CASE_VALUES, *extra)


TEXT_CHARS = 140


def _minute(at: datetime) -> str:
    """YYYY-MM-DD HH:MM, as strftime would write it, at a tenth of its cost (thousands of cards an answer)."""
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}"


class CaseCards:
    """Case rows (`CASE_VALUES`) → GeoJSON points with their cards.

    Labels are translated once per answer rather than once per case (Django's choice display hashes
    every lazy label on each call: ~1 ms a case). What the public see is what `cases.selectors.public_out`
    gives them — status, category, description, address, the place rounded to 4 decimals (~10 m) — and
    `tests/test_layers.py` checks the two agree case by case.
    """

    def __init__(self, *, staff: bool, now: datetime) -> None:
        self.staff, self.now = staff, now
        self.tz = timezone.get_current_timezone()
        self.status = {s.value: str(s.label) for s in CaseStatus}
        self.colour = {s.value: HEX[STATUS_COLOURS[s]] for s in CaseStatus}
        self.label = {
            "status": _("状态"),
            "category": _("分类"),
            "address": _("地址"),
            "reported": _("上报时间"),
            "department": _("处置部门"),
            "limit": _("时限"),
            "heat": _("附议/并案"),
            "me_too": _("附议"),
            "case": _("案件"),
            "open": _("打开案件"),
        }
        self.light = {"none": _("不计时"), "red": _("红灯（超期）"), "yellow": _("黄灯"), "green": _("绿灯")}

    def feature(self, row: dict, *, heat: int | None = None) -> dict:
        t = self.label
        number, category = row["number"], row["category__name"]
        rows = [
            [t["status"], self.status[row["status"]]],
            [t["category"], category or "—"],
            [t["address"], row["address"] or "—"],
            [t["reported"], _minute(row["created_at"].astimezone(self.tz))],
        ]
        props = {"number": number, "status": row["status"], "colour": self.colour[row["status"]]}
        if self.staff:
            lon, lat = row["lon"], row["lat"]
            rows += [
                [t["department"], row["department__name"] or "—"],
                [t["limit"], self.light[row["light"]]],
            ]
        else:
            lon, lat = round(row["lon"], 4), round(row["lat"], 4)  # as public_out: ~10 m
        if heat is not None:
            rows.insert(1, [t["heat"], str(heat)])
            props["heat"] = heat
        elif row["me_too_count"]:
            rows.append([t["me_too"], str(row["me_too_count"])])
        # Staff read the report as written; everybody else what cases.publication lets the public read.
        text = row["description"] if self.staff else public_text(row["description"], row["public_summary"])
        if len(text) > TEXT_CHARS:
            text = text[:TEXT_CHARS] + "…"
        props["card"] = {
            "title": f"{category or t['case']} · {number}",
            "text": text,
            "rows": rows,
            "url": case_url(number, staff=self.staff) if number else None,
            "link": t["open"],
        }
        return _feature(_point(lon, lat), props, fid=number)
