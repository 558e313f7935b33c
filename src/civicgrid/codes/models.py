"""码上生活: QR codes for households, places/components, merchants, mobile stalls and e-bikes.

A `Code` is the printed thing: an opaque random payload signed into a short URL
(`SITE_URL/c/<kid>.<payload>.<mac>`, see core/tokens.py). It points at one profile row of its
kind. Revoking a code kills the printed sticker; re-issuing revokes it and prints a new payload
for the same entity, so a profile may have many codes over time but at most one active.
"""

from __future__ import annotations

from functools import cached_property

import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.codes.choices import CodeKind, CodeStatus, EBikeReportStatus, Grade
from civicgrid.core import tokens

COMPONENT_CODE_RE = r"^\d{17}$"


class GeometryMixin:
    """A polygon stored as WKB (WGS-84 lon/lat) in a BinaryField named by GEOMETRY_FIELD."""

    GEOMETRY_FIELD = ""

    @cached_property
    def shape(self) -> shapely.Geometry | None:
        raw = getattr(self, self.GEOMETRY_FIELD)
        return shapely.from_wkb(bytes(raw)) if raw else None

    def set_shape(self, geom: shapely.Geometry | None) -> None:
        setattr(self, self.GEOMETRY_FIELD, shapely.to_wkb(geom) if geom is not None else None)
        self.__dict__.pop("shape", None)

    @property
    def geojson(self) -> dict | None:
        return shapely.geometry.mapping(self.shape) if self.shape is not None else None


class Household(models.Model):
    """居民户: a flat in a community (building/unit/room) and the people who live there."""

    community = models.ForeignKey(
        "grids.Community",
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    building = models.CharField(_("楼栋"), max_length=20)
    unit = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("房号"), max_length=20)
    residents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("住户"), blank=True, related_name="households"
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)

    class Meta:
        verbose_name = _("居民户")
        verbose_name_plural = _("居民户")
        ordering = ["community__code", "building", "unit", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "building", "unit", "room"], name="household_unique_address"
            )
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        unit = f"{self.unit}单元" if self.unit else ""
        return f"{self.community.name}{self.building}栋{unit}{self.room}室"

    @property
    def point(self) -> tuple[float, float] | None:
        if self.lat is not None and self.lon is not None:
            return self.lat, self.lon
        shape = self.community.shape
        if shape is None:
            return None
        c = shape.representative_point()
        return c.y, c.x


class Place(models.Model):
    """室外码: a facility or city component (管理部件) with its 17-digit 部件标识码 and location."""

    name = models.CharField(_("名称"), max_length=60)
    category = models.ForeignKey(
        "taxonomy.Category",
        verbose_name=_("部件类别"),
        on_delete=models.PROTECT,
        related_name="places",
        limit_choices_to={"kind": "component"},
    )
    component_code = models.CharField(
        _("部件标识码"),
        max_length=17,
        unique=True,
        validators=[RegexValidator(COMPONENT_CODE_RE, _("部件标识码应为 17 位数字"))],
        help_text=_("6 位行政区划 + 5 位类别 + 6 位顺序码 (GB/T 47678.5)."),
    )
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    cell = models.ForeignKey(
        "grids.Cell",
        verbose_name=_("单元网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="places",
        editable=False,
    )

    class Meta:
        verbose_name = _("部件/场所")
        verbose_name_plural = _("部件/场所")
        ordering = ["component_code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.component_code})"

    def clean(self) -> None:
        from civicgrid.codes.validation import check_component_code

        if self.category_id and self.component_code:
            check_component_code(self.component_code, self.category)


class Merchant(GeometryMixin, models.Model):
    """商户: a shop, its owner, its 门前三包 responsibility area and its civility grade."""

    GEOMETRY_FIELD = "area"

    name = models.CharField(_("店名"), max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经营者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merchants",
    )
    license_no = models.CharField(_("营业执照号"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    area = models.BinaryField(_("门前三包责任区 (WKB)"), null=True, blank=True, editable=False)
    grade = models.CharField(_("创城等级"), max_length=1, choices=Grade.choices, blank=True)

    class Meta:
        verbose_name = _("商户")
        verbose_name_plural = _("商户")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MerchantInspection(models.Model):
    """One inspection of a merchant by an inspector (督查员): the grade given and any violation."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="inspections")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督查员"),
        on_delete=models.PROTECT,
        related_name="merchant_inspections",
    )
    grade = models.CharField(_("等级"), max_length=1, choices=Grade.choices)
    note = models.TextField(_("说明"), blank=True)
    violation = models.CharField(_("不文明行为"), max_length=60, blank=True)
    # The points app's UncivilRecord (kept as a plain id so the apps migrate independently).
    uncivil_record_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("商户检查")
        verbose_name_plural = _("商户检查")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.merchant} {self.grade} {self.created_at:%Y-%m-%d}"


class Stall(GeometryMixin, models.Model):
    """流动摊位: a vendor allowed to trade inside a zone between two local times (may span midnight)."""

    GEOMETRY_FIELD = "zone"

    vendor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("摊主"),
        on_delete=models.PROTECT,
        related_name="stalls",
    )
    goods = models.CharField(_("经营品类"), max_length=60)
    zone = models.BinaryField(_("允许经营区域 (WKB)"), editable=False)
    hours_start = models.TimeField(_("开始时间"))
    hours_end = models.TimeField(_("结束时间"))

    class Meta:
        verbose_name = _("流动摊位")
        verbose_name_plural = _("流动摊位")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.goods} #{self.pk}"

    @property
    def point(self) -> tuple[float, float] | None:
        if self.shape is None:
            return None
        c = self.shape.representative_point()
        return c.y, c.x


class EBike(models.Model):
    """电动车: a licence plate and its owner."""

    plate = models.CharField(_("车牌号"), max_length=20, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("车主"),
        on_delete=models.PROTECT,
        related_name="ebikes",
    )

    class Meta:
        verbose_name = _("电动车")
        verbose_name_plural = _("电动车")
        ordering = ["plate"]

    def __str__(self) -> str:
        return self.plate


class EBikeReport(models.Model):
    """A report that an e-bike is parked illegally; confirmed ones count towards a deduction."""

    ebike = models.ForeignKey(EBike, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ebike_reports"
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("上报时间"))
    status = models.CharField(
        max_length=10, choices=EBikeReportStatus.choices, default=EBikeReportStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set on the confirmed reports that together triggered a deduction, so none counts twice.
    uncivil_record_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("电动车违停举报")
        verbose_name_plural = _("电动车违停举报")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ebike} {self.created_at:%Y-%m-%d %H:%M} {self.status}"


ENTITY_FIELDS = {
    CodeKind.HOUSEHOLD: "household",
    CodeKind.PLACE: "place",
    CodeKind.MERCHANT: "merchant",
    CodeKind.STALL: "stall",
    CodeKind.EBIKE: "ebike",
}
ENTITY_MODELS = {
    CodeKind.HOUSEHOLD: Household,
    CodeKind.PLACE: Place,
    CodeKind.MERCHANT: Merchant,
    CodeKind.STALL: Stall,
    CodeKind.EBIKE: EBike,
}


def _one_entity_per_kind() -> Q:
    """The entity column of the code's kind is set and every other one is empty."""
    out = Q()
    for kind, name in ENTITY_FIELDS.items():
        q = Q(kind=kind, **{f"{name}__isnull": False})
        for other in ENTITY_FIELDS.values():
            if other != name:
                q &= Q(**{f"{other}__isnull": True})
        out |= q
    return out


class CodeQuerySet(models.QuerySet):
    def active(self) -> CodeQuerySet:
        return self.filter(status=CodeStatus.ACTIVE)


class Code(models.Model):
    """A printed QR code: kind, signed payload, status, and the one entity it stands for."""

    kind = models.CharField(_("类型"), max_length=10, choices=CodeKind.choices)
    payload = models.CharField(_("码值"), max_length=32, unique=True, editable=False)
    kid = models.CharField(_("密钥编号"), max_length=16, editable=False)
    status = models.CharField(_("状态"), max_length=10, choices=CodeStatus.choices, default=CodeStatus.ACTIVE)
    created_at = models.DateTimeField(_("生成时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    reissued_from = models.OneToOneField(
        "self",
        verbose_name=_("替换的旧码"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reissued_as",
        editable=False,
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.CASCADE, related_name="codes"
    )
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.CASCADE, related_name="codes")
    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.CASCADE, related_name="codes"
    )
    stall = models.ForeignKey(Stall, null=True, blank=True, on_delete=models.CASCADE, related_name="codes")
    ebike = models.ForeignKey(EBike, null=True, blank=True, on_delete=models.CASCADE, related_name="codes")

    objects = CodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("二维码")
        verbose_name_plural = _("二维码")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=_one_entity_per_kind(), name="code_one_entity_of_its_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"

    @property
    def entity(self) -> models.Model:
        return getattr(self, ENTITY_FIELDS[self.kind])

    @property
    def token(self) -> str:
        """The signed token ("" once its key has been withdrawn: the sticker is dead, re-issue it)."""
        if self.kid not in tokens.keys():
            return ""
        return tokens.sign("code", self.payload, kid=self.kid)

    @property
    def url(self) -> str:
        return settings.SITE_URL.rstrip("/") + "/c/" + self.token

    @property
    def path(self) -> str:
        return "/c/" + self.token

    @property
    def source_ref(self) -> str:
        """What a report made from this code carries (Case.source_ref)."""
        return f"code:{self.payload}"

    @property
    def label(self) -> str:
        """The printed label: what the sticker is for, never a person's name."""
        e = self.entity
        if self.kind == CodeKind.HOUSEHOLD:
            return e.address
        if self.kind == CodeKind.PLACE:
            return f"{e.name} {e.component_code}"
        if self.kind == CodeKind.MERCHANT:
            return e.name
        if self.kind == CodeKind.STALL:
            return f"流动摊位 {e.pk} {e.goods}"
        return f"电动车 {e.plate}"


class ScanDay(models.Model):
    """How often a code was scanned on one (local) day: one row per code per day."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="scan_days")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("扫码次数")
        verbose_name_plural = _("扫码次数")
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["code", "day"], name="scanday_code_day_unique")]

    def __str__(self) -> str:
        return f"{self.code_id} {self.day}: {self.count}"


def validate_geometry(geom: shapely.Geometry) -> None:
    if geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid or geom.is_empty:
        raise ValidationError(_("区域应为有效的多边形"))
