"""Reads of the gazetteer: search by name, pinyin or initials (also a QR code token or a grid cell
code), and the nearest address of a point."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import shapely
from django.db.models import Q
from django.utils.translation import gettext as _

from civicgrid.gazetteer import index
from civicgrid.gazetteer.models import Place, PlaceKind
from civicgrid.gazetteer.pinyin import query_key

MAX_QUERY = 100
KIND_ORDER = {PlaceKind.ROAD: 0, PlaceKind.COMMUNITY: 1, PlaceKind.PLACE: 2, PlaceKind.INTERSECTION: 3}
_CJK = re.compile(r"[\u3400-\u9fff]")
_TOKEN = re.compile(r"(?:.*/c/)?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/?$")
_CELL = re.compile(r"^\d{15}$")
# Reverse lookup: how near (metres) each kind of feature must be to name the point.
NEAR_INTERSECTION = 60.0
NEAR_PLACE = 40.0
NEAR_ROAD = 120.0
NEAR_COMMUNITY = 1500.0
HOUSE_SPACING = 20.0  # metres of frontage per pair of house numbers (odd one side, even the other)


@dataclass(frozen=True)
class Hit:
    name: str
    kind: str
    kind_label: str
    lat: float
    lon: float
    address: str = ""
    category: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _place_hit(p: Place) -> Hit:
    return Hit(
        name=p.name,
        kind=p.kind,
        kind_label=str(p.get_kind_display()),
        lat=p.lat,
        lon=p.lon,
        address=p.address,
        category=p.category,
    )


def _code_hit(q: str) -> Hit | None:
    """A QR code token (or its scan URL) typed in: the code's object, where it has a point."""
    from civicgrid.codes.services import CodeRefused, code_address, code_point, code_resolve

    match = _TOKEN.match(q)
    if not match:
        return None
    try:
        code = code_resolve(match.group(1))
    except CodeRefused:
        return None
    lat, lon = code_point(code)
    if lat is None or lon is None:
        return None
    return Hit(
        name=code_address(code), kind="code", kind_label=_("二维码"), lat=lat, lon=lon, address=code.label
    )


def _cell_hit(q: str) -> Hit | None:
    from civicgrid.grids.models import Cell

    if not _CELL.match(q):
        return None
    cell = Cell.objects.filter(code=q).select_related("community").first()
    if cell is None or cell.shape is None:
        return None
    centre = cell.shape.representative_point()
    return Hit(
        name=f"{cell.community.name} {cell.name}",
        kind="cell",
        kind_label=_("单元网格"),
        lat=centre.y,
        lon=centre.x,
        address=cell.code,
    )


def _rank(p: Place, q: str, key: str) -> tuple:
    if p.name == q:
        score = 0
    elif q and p.name.startswith(q):
        score = 1
    elif key and p.initials == key:
        score = 2
    elif key and p.initials.startswith(key):
        score = 3
    elif key and p.pinyin.startswith(key):
        score = 4
    elif q and q in p.name:
        score = 5
    else:
        score = 6
    return (score, KIND_ORDER.get(p.kind, 9), len(p.name), p.name)


def place_search(q: str, *, limit: int = 10) -> list[Hit]:
    """Places whose name holds the text, or whose pinyin or initials start with the letters typed
    ("rml" and "renmin" find 人民路); best first: exact, prefix, initials, pinyin, anywhere."""
    # Control characters (a NUL cannot even reach PostgreSQL) are dropped: they are never in a name.
    q = "".join(ch for ch in (q or "") if ch.isprintable()).strip()[:MAX_QUERY]
    if not q:
        return []
    special = _cell_hit(q) or _code_hit(q)
    hits = [special] if special else []
    key = query_key(q)
    condition = Q(name__contains=q)
    if key and not _CJK.search(q):
        condition |= Q(initials__startswith=key) | Q(pinyin__startswith=key)
        if len(key) >= 3:
            condition |= Q(pinyin__contains=key)
    candidates = list(Place.objects.filter(condition)[:500])
    candidates.sort(key=lambda p: _rank(p, q, key))
    hits += [_place_hit(p) for p in candidates[: max(0, limit - len(hits))]]
    return hits


@dataclass(frozen=True)
class Address:
    address: str
    kind: str
    name: str
    distance: float
    lat: float
    lon: float

    def as_dict(self) -> dict:
        return asdict(self)


def _house_number(road: shapely.Geometry, point: shapely.Point) -> int:
    """Numbers run from the road's start: odd on the left, even on the right, a pair every 20 m."""
    along = road.project(point)
    pair = int(along // HOUSE_SPACING)
    ahead = road.interpolate(min(along + 1.0, road.length))
    here = road.interpolate(along)
    if ahead.equals(here):  # at the very end: look back instead
        here, ahead = road.interpolate(max(along - 1.0, 0.0)), here
    cross = (ahead.x - here.x) * (point.y - here.y) - (ahead.y - here.y) * (point.x - here.x)
    return pair * 2 + (1 if cross >= 0 else 2)


def place_reverse(lat: float, lon: float) -> Address | None:
    """The nearest address of a WGS-84 point: an intersection, a place, a house number along a road,
    or a community, each "…附近"; None when the gazetteer knows nothing near."""
    idx = index.get_index()
    point = shapely.Point(*idx.projection.xy(lat, lon))

    def found(text: str, p: Place, distance: float) -> Address:
        return Address(
            address=text, kind=p.kind, name=p.name, distance=round(distance, 1), lat=p.lat, lon=p.lon
        )

    for layer, reach in ((idx.intersections, NEAR_INTERSECTION), (idx.places, NEAR_PLACE)):
        near = layer.nearest(point, reach)
        if near:
            p = layer.places[near[0]]
            return found(_("%(name)s附近") % {"name": p.name}, p, near[1])
    near = idx.roads.nearest(point, NEAR_ROAD)
    if near:
        road = idx.roads.places[near[0]]
        number = _house_number(idx.roads.geoms[near[0]], point)
        return found(_("%(road)s %(number)s 号附近") % {"road": road.name, "number": number}, road, near[1])
    near = idx.communities.nearest(point, NEAR_COMMUNITY)
    if near:
        p = idx.communities.places[near[0]]
        return found(_("%(name)s附近") % {"name": p.name}, p, near[1])
    return None
