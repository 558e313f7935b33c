"""Categories of components and matters, their time limits, and the routing rules."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Department
from civicgrid.taxonomy.choices import CategoryKind, ClockUnit, Step, Urgency

CODE_RE = re.compile(r"^\d{5}$")


class CategoryQuerySet(models.QuerySet):
    def active(self) -> CategoryQuerySet:
        return self.filter(active=True)


class Category(models.Model):
    """A 管理部件 or 管理事项 of GB/T 47678.5-2026: 5-digit code = 2-digit major + 3-digit minor class.

    Components and matters share the code space, so (kind, code) is the key. Rows loaded from the
    standard's catalogue have `is_local=False`; categories a city adds itself are marked local.
    """

    kind = models.CharField(_("类型"), max_length=10, choices=CategoryKind.choices)
    code = models.CharField(_("编码"), max_length=5)
    major_code = models.CharField(_("大类编码"), max_length=2, editable=False)
    major_name = models.CharField(_("大类名称"), max_length=40)
    name = models.CharField(_("名称"), max_length=60)
    legacy_code = models.CharField(
        _("旧标准编码"),
        max_length=12,
        blank=True,
        help_text=_("GB/T 30428.2-2013 编码，用于对接旧系统数据"),
    )
    is_local = models.BooleanField(_("本地扩展"), default=True)
    default_urgency = models.CharField(
        _("默认紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    auto_dispatch = models.BooleanField(_("立案后自动派遣"), default=False)
    # The grid member's on-site check (核查, 返工) of a case of this category needs a photo and a note.
    verify_evidence = models.BooleanField(_("现场核查须拍照并说明"), default=True)
    # Enforcement matters (占道经营, 违法建设, 噪声 …): a reply states the legal basis (replyquality hints).
    needs_legal_basis = models.BooleanField(_("答复须引用法律依据"), default=False)
    keywords = models.CharField(
        _("关键词"),
        max_length=300,
        blank=True,
        help_text=_("用于搜索，空格分隔"),
    )
    active = models.BooleanField(_("启用"), default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("分类")
        verbose_name_plural = _("分类")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="category_kind_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs) -> None:
        # The major class is the code's first two digits by definition, never entered separately.
        self.major_code = (self.code or "")[:2]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if not CODE_RE.match(self.code or ""):
            raise ValidationError({"code": _("编码应为 5 位数字")})


class TimeLimit(models.Model):
    """How long a step may take, for one category (or, with no category, every category) and urgency."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("分类"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limits",
        help_text=_("留空表示所有分类的默认值"),
    )
    step = models.CharField(_("环节"), max_length=10, choices=Step.choices)
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    hours = models.DecimalField(_("时限 (小时)"), max_digits=7, decimal_places=2)
    unit = models.CharField(
        _("计时方式"), max_length=10, choices=ClockUnit.choices, default=ClockUnit.WORKING_HOURS
    )

    class Meta:
        verbose_name = _("时限")
        verbose_name_plural = _("时限")
        ordering = ["category__code", "step", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["category", "step", "urgency"], name="timelimit_unique"),
            models.UniqueConstraint(
                fields=["step", "urgency"], condition=models.Q(category=None), name="timelimit_default_unique"
            ),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="timelimit_hours_positive"),
        ]

    def __str__(self) -> str:
        scope = self.category.code if self.category_id else "*"
        return f"{scope} {self.step} {self.urgency}: {self.hours} {self.unit}"


class RoutingRule(models.Model):
    """Category × area → department. The most specific matching rule wins (see routing.py).

    Leave the category empty to match a whole major class (`major_code`) or everything; leave
    `area_code` empty for the whole city, or give a district (6), street (9), community (12) or
    cell (15) code — it matches every cell whose code starts with it.
    """

    category = models.ForeignKey(
        Category,
        verbose_name=_("分类"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=CategoryKind.choices, blank=True)
    major_code = models.CharField(_("大类编码"), max_length=2, blank=True)
    area_code = models.CharField(_("区域编码"), max_length=15, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("处置部门"),
        on_delete=models.PROTECT,
        related_name="routing_rules",
    )
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("派遣规则")
        verbose_name_plural = _("派遣规则")
        ordering = ["kind", "major_code", "category__code", "area_code"]

    def __str__(self) -> str:
        what = self.category.code if self.category_id else (self.major_code or "*")
        return f"{self.kind or '*'}/{what} @ {self.area_code or '*'} → {self.department}"

    def clean(self) -> None:
        if self.area_code and (not self.area_code.isdigit() or len(self.area_code) not in (6, 9, 12, 15)):
            raise ValidationError({"area_code": _("区域编码应为 6/9/12/15 位数字")})
        if self.major_code and (not self.major_code.isdigit() or len(self.major_code) != 2):
            raise ValidationError({"major_code": _("大类编码应为 2 位数字")})
        if self.category_id and self.major_code and self.category.major_code != self.major_code:
            raise ValidationError({"major_code": _("与所选分类的大类不一致")})


class TaxonomyRevision(models.Model):
    """One row whose number goes up whenever categories or time limits change (taxonomy/cache.py),
    so every process reloads the copy it reads on each report."""

    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("分类版本")

    def __str__(self) -> str:
        return f"taxonomy revision {self.revision}"
