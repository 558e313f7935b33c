"""The map page (/map/): Leaflet, vendored; the layers come from /api/map/layers/<id> as GeoJSON."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.choices import CaseStatus
from civicgrid.core import clock
from civicgrid.grids.models import District, Street
from civicgrid.grids.scope import area_of
from civicgrid.maps import selectors
from civicgrid.taxonomy.models import Category

DEFAULT_CENTRE = (39.605, 109.79)  # 康巴什区, when no district has a boundary yet
ENABLED = {True: ["boundaries", "cell_density", "cases"], False: ["boundaries", "cases"]}


def map_page(request):
    """The layer control, the time filter and the filters beside a full-height map; the card of a clicked feature."""
    staff = selectors.is_staff_viewer(request.user)
    layers = [layer for layer in selectors.catalogue(request.user) if layer["available"]]
    area = area_of(request.user)  # a district's or street's command centre opens on its area
    district = District.objects.exclude(min_lon=None).order_by("code").first()
    bounds = None
    if area is not None and area.bounds is not None:
        w, s, e, n = area.bounds
        centre, bounds = ((s + n) / 2, (w + e) / 2), [[s, w], [n, e]]
    elif district is not None:
        centre = ((district.min_lat + district.max_lat) / 2, (district.min_lon + district.max_lon) / 2)
        bounds = [[district.min_lat, district.min_lon], [district.max_lat, district.max_lon]]
    else:
        centre = DEFAULT_CENTRE
    streets = Street.objects.order_by("code")
    if area is not None:
        streets = streets.filter(pk__in=area.street_ids)
    presets = [
        ("today", _("今天")),
        ("7d", _("近 7 天")),
        ("30d", _("近 30 天")),
        ("month", _("本月")),
        ("year", _("今年")),
    ]
    context = {
        "staff": staff,
        "layers": layers,
        "enabled": ENABLED[staff],
        "centre": centre,
        "today": timezone.localdate(clock.now()).isoformat(),
        "presets": presets,
        "statuses": CaseStatus.choices,
        "categories": Category.objects.active().order_by("kind", "code").values("kind", "code", "name"),
        "streets": streets.values("code", "name"),
        "command_area": area,
        "tile_url": settings.CIVICGRID_TILE_URL,
        "config": {
            "layers": layers,
            "enabled": ENABLED[staff],
            "center": list(centre),
            "zoom": 14,
            "bounds": bounds,
            "today": timezone.localdate(clock.now()).isoformat(),
            "defaultPreset": "30d",
            "text": {
                "loading": _("加载中…"),
                "features": _("个要素"),
                "binned": _("已按六边形汇总"),
                "error": _("加载失败"),
                "open": _("打开案件"),
                "close": _("关闭"),
                "noLegend": _("无数据"),
            },
        },
    }
    return render(request, "maps/map.html", context)
