"""The gazetteer (地名地址库): named roads, intersections, places and communities, each with a point.

Points are WGS-84 as everywhere in the platform. A road also keeps its line (GeoJSON text, WGS-84)
for the drawn base map and for house numbers along it. The search keys (full pinyin and initials)
are computed on save, so a search is an indexed prefix match.
"""

from __future__ import annotations

import json
from functools import cached_property

import shapely
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.gazetteer.pinyin import search_keys


class PlaceKind(models.TextChoices):
    ROAD = "road", _("道路")
    INTERSECTION = "intersection", _("交叉口")
    PLACE = "place", _("地点/建筑")
    COMMUNITY = "community", _("社区")


class Place(models.Model):
    kind = models.CharField(_("类型"), max_length=20, choices=PlaceKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    category = models.CharField(
        _("类别"), max_length=20, blank=True, help_text=_("如 学校、医院、市场、公园")
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    # A road's line: a GeoJSON LineString or MultiLineString geometry (WGS-84), or empty.
    line = models.TextField(_("线"), blank=True)
    road_class = models.PositiveSmallIntegerField(
        _("道路等级"), default=0, help_text=_("1 主干道 2 次干道 3 支路/巷")
    )
    pinyin = models.CharField(max_length=400, editable=False, db_index=True)
    initials = models.CharField(max_length=100, editable=False, db_index=True)

    class Meta:
        verbose_name = _("地名")
        verbose_name_plural = _("地名地址")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="gazetteer_place_kind_name")]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        self.pinyin, self.initials = search_keys(self.name)
        super().save(*args, **kwargs)

    @cached_property
    def shape(self) -> shapely.Geometry | None:
        """The road's line, or None."""
        return shapely.from_geojson(self.line) if self.line else None

    @property
    def line_geojson(self) -> dict | None:
        return json.loads(self.line) if self.line else None


class GazetteerRevision(models.Model):
    """One row; bumped in the transaction of every change, so each process's search index reloads."""

    revision = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"gazetteer revision {self.revision}"
