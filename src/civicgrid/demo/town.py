"""The demo city's town plan: named roads, their intersections, places and communities in the
gazetteer, so a map without tiles looks like a town and addresses can be searched.

Generated from the district's outline with a seeded generator (the same town on every machine):
main roads (路 east–west, 大街 north–south) about a kilometre apart and gently curved, secondary
roads between them, lanes (巷) inside blocks, then schools, hospitals, markets, parks and a service
centre for every community near the roads. Built with the gazetteer's own import service.
"""

from __future__ import annotations

import math
import random

import shapely
from shapely.geometry import LineString

from civicgrid.gazetteer.models import PlaceKind
from civicgrid.gazetteer.services import Row, places_save
from civicgrid.grids.models import Community, District

SEED = 20261207
MAIN_LAT = 0.0100  # ≈ 1.1 km between east–west main roads
MAIN_LON = 0.0130  # ≈ 1.1 km between north–south main roads
EAST_WEST = [
    "人民路",
    "建设路",
    "文化路",
    "迎宾路",
    "康宁路",
    "青春路",
    "团结路",
    "和平路",
    "振兴路",
    "光明路",
]
NORTH_SOUTH = [
    "鄂尔多斯大街",
    "民族大街",
    "建设大街",
    "康和大街",
    "伊金霍洛大街",
    "乌兰木伦大街",
    "兴安大街",
    "锡尼大街",
    "友谊大街",
    "学府大街",
    "滨河大街",
    "新华大街",
]
SECONDARY = [
    "育才路",
    "富民路",
    "安康路",
    "北苑路",
    "南苑路",
    "长青路",
    "阳光路",
    "祥和路",
    "东风路",
    "工业路",
    "园丁街",
    "康泰街",
    "鑫海街",
    "兰亭街",
    "华泰街",
    "宝日街",
    "市府街",
    "金泉街",
    "银河街",
    "丰收街",
]
LANES = [
    "文化巷",
    "槐树巷",
    "杏园巷",
    "柳荫巷",
    "桃李巷",
    "丁香巷",
    "新华巷",
    "春晖巷",
    "榆林巷",
    "枣园巷",
    "梨花巷",
    "石榴巷",
    "书香巷",
    "松柏巷",
    "青砖巷",
    "安居巷",
    "福寿巷",
    "永乐巷",
    "双井巷",
    "芳草巷",
]
PLACES = [
    (
        "学校",
        ["第一小学", "第二小学", "实验小学", "第一中学", "第二中学", "民族中学", "育才小学", "职业技术学校"],
    ),
    ("医院", ["人民医院", "中医医院", "妇幼保健院", "口腔医院"]),
    ("市场", ["农贸市场", "综合市场", "东方商城", "惠民超市", "康城菜市场"]),
    ("公园", ["青春山公园", "乌兰木伦湖公园", "文化广场", "植物园", "儿童公园", "滨河湿地公园"]),
    ("公共服务", ["图书馆", "体育中心", "政务服务中心", "派出所", "邮政局", "消防站", "客运站"]),
    (
        "小区",
        [
            "康城小区",
            "华泰家园",
            "兰亭小区",
            "阳光花园",
            "鑫海嘉园",
            "园丁小区",
            "金泉雅苑",
            "滨河花园",
            "和谐家园",
            "书香门第",
            "青春花园",
            "团结小区",
        ],
    ),
]


def _wave(rng: random.Random, amplitude: float) -> tuple[float, float, float]:
    return amplitude * rng.uniform(0.3, 1.0), rng.uniform(2.0, 4.0), rng.uniform(0, math.tau)


def _line(
    fixed: float, start: float, end: float, *, east_west: bool, wave: tuple[float, float, float]
) -> LineString:
    """A road along `fixed` (a latitude for east–west, a longitude for north–south), gently curved."""
    amplitude, turns, phase = wave
    steps = max(2, int((end - start) / 0.002))
    points = []
    for i in range(steps + 1):
        t = i / steps
        run = start + (end - start) * t
        offset = amplitude * math.sin(phase + turns * math.pi * t)
        points.append((run, fixed + offset) if east_west else (fixed + offset, run))
    return LineString(points)


def town_rows(area: shapely.Geometry, communities: list[tuple[str, shapely.Geometry]]) -> list[Row]:
    """The rows of the town inside `area` (WGS-84): roads, intersections, places, communities."""
    rng = random.Random(SEED)
    west, south, east, north = area.bounds
    roads: list[tuple[str, int, LineString]] = []

    def add_road(name: str, cls: int, line: LineString) -> None:
        clipped = line.intersection(area)
        if not clipped.is_empty and clipped.length > 0.001:
            roads.append((name, cls, clipped))

    ew = [south + MAIN_LAT * (k + 0.5) for k in range(int((north - south) / MAIN_LAT + 1e-9))] or [
        (south + north) / 2
    ]
    ns = [west + MAIN_LON * (k + 0.5) for k in range(int((east - west) / MAIN_LON + 1e-9))] or [
        (west + east) / 2
    ]
    for k, lat in enumerate(reversed(ew)):  # 人民路 is the northernmost
        add_road(
            EAST_WEST[k % len(EAST_WEST)], 1, _line(lat, west, east, east_west=True, wave=_wave(rng, 0.0008))
        )
    for k, lon in enumerate(ns):
        add_road(
            NORTH_SOUTH[k % len(NORTH_SOUTH)],
            1,
            _line(lon, south, north, east_west=False, wave=_wave(rng, 0.0008)),
        )
    # Secondary roads halfway between main roads, each across two or three blocks.
    secondary = iter(SECONDARY * 3)
    for lat in [a + MAIN_LAT / 2 for a in ew[:-1]] + [ew[0] - MAIN_LAT / 2]:
        span = rng.randint(2, 3) * MAIN_LON
        start = west + rng.randint(0, max(0, len(ns) - 2)) * MAIN_LON + MAIN_LON / 2
        add_road(next(secondary), 2, _line(lat, start, start + span, east_west=True, wave=_wave(rng, 0.0004)))
    for lon in [a + MAIN_LON / 2 for a in ns[:-1]]:
        span = rng.randint(1, 2) * MAIN_LAT
        start = south + rng.randint(0, max(0, len(ew) - 2)) * MAIN_LAT + MAIN_LAT / 2
        add_road(
            next(secondary), 2, _line(lon, start, start + span, east_west=False, wave=_wave(rng, 0.0003))
        )
    # Lanes: short straight streets inside the blocks, off a main road.
    lanes = iter(LANES * 3)
    cells = [(a, b) for a in ew for b in ns]
    rng.shuffle(cells)
    for lat, lon in cells[: min(len(LANES), max(4, len(cells) // 2))]:
        y = lat + rng.choice((-1, 1)) * MAIN_LAT * rng.uniform(0.2, 0.35)
        x0 = lon + rng.uniform(0.0005, 0.001)
        add_road(next(lanes), 3, LineString([(x0, y), (x0 + MAIN_LON * rng.uniform(0.3, 0.45), y)]))

    rows = []
    for name, cls, line in roads:
        middle = shapely.line_interpolate_point(line, 0.5, normalized=True)
        rows.append(
            Row(
                PlaceKind.ROAD,
                name,
                middle.y,
                middle.x,
                road_class=cls,
                line=shapely.to_geojson(shapely.set_precision(line, 1e-6)),
            )
        )
    # Intersections of two named roads (one point per pair).
    for i, (name_a, _ca, line_a) in enumerate(roads):
        for name_b, _cb, line_b in roads[i + 1 :]:
            if name_a == name_b or not line_a.intersects(line_b):
                continue
            parts = shapely.get_parts(line_a.intersection(line_b))
            points = [p for p in parts if p.geom_type == "Point"]
            if points:
                first, second = (
                    (name_a, name_b) if _major(roads, name_a) <= _major(roads, name_b) else (name_b, name_a)
                )
                rows.append(Row(PlaceKind.INTERSECTION, f"{first}与{second}交叉口", points[0].y, points[0].x))
    # Places beside the roads: on a main or secondary road, 60–120 m off it, inside the area.
    frontage = [line for _n, cls, line in roads if cls <= 2]
    for category, names in PLACES:
        for name in names:
            for _attempt in range(20):
                line = rng.choice(frontage)
                on = shapely.line_interpolate_point(line, rng.uniform(0.1, 0.9), normalized=True)
                angle = rng.uniform(0, math.tau)
                distance = rng.uniform(0.0006, 0.0011)
                spot = shapely.Point(
                    on.x + distance * math.cos(angle) * 1.3, on.y + distance * math.sin(angle)
                )
                if area.contains(spot) and all(spot.distance(other) > 0.0004 for other in frontage):
                    rows.append(Row(PlaceKind.PLACE, name, spot.y, spot.x, category=category))
                    break
    for name, shape in communities:
        centre = shape.representative_point()
        rows.append(Row(PlaceKind.COMMUNITY, name, centre.y, centre.x))
        spot = shapely.Point(centre.x + 0.0007, centre.y - 0.0005)
        rows.append(Row(PlaceKind.PLACE, f"{name}服务中心", spot.y, spot.x, category="社区服务中心"))
    return rows


def _major(roads: list, name: str) -> tuple[int, str]:
    return next((cls, name) for n, cls, _line in roads if n == name)


def build_town() -> int:
    """Fill the gazetteer from the district's outline and the communities; the number of places."""
    districts = [d.shape for d in District.objects.exclude(geometry=None) if d.shape is not None]
    if not districts:
        return 0
    area = shapely.union_all(districts)
    communities = [(c.name, c.shape) for c in Community.objects.exclude(geometry=None).order_by("code")]
    rows = town_rows(area, communities)
    places_save(rows=rows)
    return len(rows)
