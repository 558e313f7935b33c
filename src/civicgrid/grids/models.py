"""The grid hierarchy: district → street → community → unit grid cell (单元网格).

Polygons are WKB (WGS-84 lon/lat) with their bounding box in plain columns, so a bbox query
runs on indexed floats in SQLite and PostgreSQL alike, and shapely does the exact geometry.
"""

from __future__ import annotations

from functools import cached_property

import shapely
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    """Fields every level shares: the code, the name and an optional boundary polygon."""

    name = models.CharField(_("名称"), max_length=100)
    geometry = models.BinaryField(_("边界"), null=True, blank=True, editable=False)
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @cached_property
    def shape(self) -> shapely.Geometry | None:
        return shapely.from_wkb(bytes(self.geometry)) if self.geometry else None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from civicgrid.core.errors import DomainError
        from civicgrid.grids.codes import check_code

        level = self._meta.model_name
        try:
            check_code(level, self.code or "")
        except DomainError as err:
            raise ValidationError({"code": err.message}) from err
        parent = getattr(self, f"{self.PARENT_FIELD}", None) if self.PARENT_FIELD else None
        if parent is not None and not self.code.startswith(parent.code):
            raise ValidationError({"code": _("编码必须以上级编码 %(p)s 开头") % {"p": parent.code}})

    def set_shape(self, geom: shapely.Geometry) -> None:
        self.geometry = shapely.to_wkb(geom)
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = (float(v) for v in geom.bounds)
        self.__dict__.pop("shape", None)

    @property
    def geojson(self) -> dict | None:
        return shapely.geometry.mapping(self.shape) if self.shape is not None else None


class District(Area):
    """区县: the 6-digit GB/T 2260 administrative division."""

    code = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    PARENT_FIELD = ""

    class Meta(Area.Meta):
        verbose_name = _("区县")
        verbose_name_plural = _("区县")


class Street(Area):
    """街道/乡镇: 9-digit code = district + 3."""

    code = models.CharField(_("街道编码"), max_length=9, unique=True)
    district = models.ForeignKey(
        District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="streets"
    )
    PARENT_FIELD = "district"

    class Meta(Area.Meta):
        verbose_name = _("街道")
        verbose_name_plural = _("街道")


class Community(Area):
    """社区/村: 12-digit code = street + 3."""

    code = models.CharField(_("社区编码"), max_length=12, unique=True)
    street = models.ForeignKey(
        Street, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="communities"
    )
    PARENT_FIELD = "street"

    class Meta(Area.Meta):
        verbose_name = _("社区")
        verbose_name_plural = _("社区")


class Cell(Area):
    """单元网格: the smallest managed area, 15-digit code = community + 3-digit sequence."""

    code = models.CharField(_("单元网格标识码"), max_length=15, unique=True)
    community = models.ForeignKey(
        Community, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="cells"
    )
    # Denormalised from the community so that "cells of street X" needs no join on hot paths.
    street = models.ForeignKey(
        Street, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="cells", editable=False
    )
    PARENT_FIELD = "community"
    land_use = models.CharField(_("用地类别"), max_length=40, blank=True)
    area_m2 = models.FloatField(_("面积 (m²)"), default=0, editable=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CellMember",
        related_name="cells",
        verbose_name=_("网格员"),
        blank=True,
    )
    geometry = models.BinaryField(_("边界"), editable=False)

    class Meta(Area.Meta):
        verbose_name = _("单元网格")
        verbose_name_plural = _("单元网格")
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"], name="cell_bbox_idx")]


class CellMember(models.Model):
    """A grid member (网格员) assigned to patrol a cell."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cell_assignments",
        verbose_name=_("网格员"),
    )
    assigned_at = models.DateTimeField(_("分配时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("网格员分配")
        verbose_name_plural = _("网格员分配")
        constraints = [models.UniqueConstraint(fields=["cell", "user"], name="cellmember_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.cell.code}"


class GridRevision(models.Model):
    """One row whose number goes up whenever cells change, so every process rebuilds its index."""

    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("网格版本")

    def __str__(self) -> str:
        return f"grid revision {self.revision}"
