"""Generated reports with known clusters, for the clustering and refresh tests."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LAT0, LON0 = 39.60, 109.78
DAY = 86400.0

# name: (category, texts, (metres east, metres north) of the centre, first day, reports, spread in metres, days)
CLUSTERS = {
    "street_lights": (
        1,
        ["小区门口路灯不亮", "路灯坏了晚上很黑", "门口的路灯不亮了", "路灯一直不亮"],
        (0, 0),
        40,
        8,
        50,
        3,
    ),
    "full_bins": (
        2,
        ["垃圾桶满了没人清理", "垃圾溢出很臭", "垃圾桶满了", "垃圾堆在路边"],
        (2500, 800),
        42,
        6,
        60,
        4,
    ),
    "manholes": (3, ["井盖缺失很危险", "路上井盖丢了", "井盖不见了"], (-1500, 1200), 45, 5, 40, 2),
    # 60 m from the manholes, at the same time: another category and nothing alike in the texts.
    "noise_at_night": (
        4,
        ["夜间施工噪音扰民", "晚上施工太吵", "噪音扰民睡不着"],
        (-1440, 1200),
        45,
        5,
        40,
        2,
    ),
    # Two categories, one problem: the texts are alike.
    "street_vendors": (
        5,
        ["路口占道经营流动摊贩", "流动摊贩占道经营", "占道经营的流动摊贩很多"],
        (1200, -1800),
        50,
        6,
        50,
        3,
    ),
    # One place, two bursts three weeks apart: two hot issues.
    "potholes_early": (6, ["路面坑洼积水", "马路上有大坑", "路面塌陷有坑"], (-2500, -1000), 20, 5, 40, 3),
    "potholes_late": (6, ["路面坑洼积水", "马路上有大坑", "路面塌陷有坑"], (-2500, -1000), 41, 5, 40, 3),
}
VENDOR_OTHER_CATEGORY = 7
NOISE_TEXTS = [
    "小区绿化带有人种菜",
    "广告牌松动",
    "共享单车乱停放",
    "树枝挡住了交通标志",
    "宠物粪便无人清理",
    "公厕门坏了",
    "道路标线模糊",
    "消防通道被占用",
]


@dataclass
class Generated:
    lat: np.ndarray
    lon: np.ndarray
    t: np.ndarray  # seconds
    categories: np.ndarray
    texts: list[str]
    weights: np.ndarray
    truth: np.ndarray  # cluster number, -1 for noise
    clusters: dict[str, list[int]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)


def _latlon(x: float, y: float, lat0: float, lon0: float) -> tuple[float, float]:
    lat = lat0 + np.degrees(y / 6_371_008.8)
    lon = lon0 + np.degrees(x / (6_371_008.8 * np.cos(np.radians(lat0))))
    return float(lat), float(lon)


def generated_reports(
    seed: int = 0, noise: int = 40, *, scale: float = 1.0, lat0: float = LAT0, lon0: float = LON0
) -> Generated:
    """The reports of CLUSTERS and `noise` others, the centres `scale` times as far from (lat0, lon0)."""
    rng = np.random.default_rng(seed)
    rows = []  # (x, y, t, category, text, weight, truth)
    clusters: dict[str, list[int]] = {}
    names = list(CLUSTERS)
    for number, (name, (category, texts, (cx, cy), day, count, spread, days)) in enumerate(CLUSTERS.items()):
        clusters[name] = []
        for k in range(count):
            x, y = (
                cx * scale + rng.uniform(-spread, spread) / 2,
                cy * scale + rng.uniform(-spread, spread) / 2,
            )
            cat = VENDOR_OTHER_CATEGORY if name == "street_vendors" and k % 2 else category
            t = (day + rng.uniform(0, days)) * DAY
            weight = 1 + (int(rng.integers(0, 3)) if k == 0 else 0)  # me-too reports on one of them
            clusters[name].append(len(rows))
            rows.append((x, y, t, cat, texts[k % len(texts)], weight, number))
    for _ in range(noise):
        x, y = rng.uniform(-3000, 3000) * scale, rng.uniform(-3000, 3000) * scale
        t = rng.uniform(0, 60) * DAY
        rows.append((x, y, t, int(rng.integers(10, 30)), str(rng.choice(NOISE_TEXTS)), 1, -1))
    lat, lon = zip(*[_latlon(r[0], r[1], lat0, lon0) for r in rows], strict=True)
    return Generated(
        lat=np.array(lat),
        lon=np.array(lon),
        t=np.array([r[2] for r in rows]),
        categories=np.array([r[3] for r in rows]),
        texts=[r[4] for r in rows],
        weights=np.array([r[5] for r in rows]),
        truth=np.array([r[6] for r in rows]),
        clusters=clusters,
        names=names,
    )
