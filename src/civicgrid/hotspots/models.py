"""Hot issues (热点问题): clusters of similar reports, kept by the worker (`hotspots.refresh`).

Pages and the API read these rows; they never cluster. A row keeps its id across refreshes while its
cluster goes on (the refresh matches new clusters to the rows they overlap most), so an issue is alerted
once (`alerted_at`) however often it is re-clustered.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import ChoiceLabels


class HotIssueStatus(models.TextChoices):
    ACTIVE = "active", _("活跃")
    COOLED = "cooled", _("已降温")


class HotIssue(ChoiceLabels, models.Model):
    status = models.CharField(
        _("状态"), max_length=10, choices=HotIssueStatus.choices, default=HotIssueStatus.ACTIVE
    )
    first_report_at = models.DateTimeField(_("首次上报"))
    last_report_at = models.DateTimeField(_("最近上报"))
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    street = models.ForeignKey(
        "grids.Street",
        verbose_name=_("街道"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cell = models.ForeignKey(
        "grids.Cell",
        verbose_name=_("单元网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    category = models.ForeignKey(
        "taxonomy.Category",
        verbose_name=_("主要分类"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # {"<category id>": cases}, the main category first
    category_mix = models.JSONField(_("分类构成"), default=dict, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    heat = models.FloatField(_("热度"), default=0)
    representative_case = models.ForeignKey(
        "cases.Case", verbose_name=_("代表案件"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    representative_text = models.TextField(_("代表描述"), blank=True)
    case_count = models.PositiveIntegerField(_("案件数"), default=0)
    report_count = models.PositiveIntegerField(_("上报数（含附议、并案）"), default=0)
    reporter_count = models.PositiveIntegerField(_("上报人数"), default=0)
    alerted_at = models.DateTimeField(_("告警时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("发现时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    cases = models.ManyToManyField("cases.Case", through="HotIssueCase", related_name="+")

    class Meta:
        verbose_name = _("热点问题")
        verbose_name_plural = _("热点问题")
        indexes = [
            models.Index(fields=["status", "-heat"], name="hotissue_rank_idx"),
            models.Index(fields=["street", "status", "-heat"], name="hotissue_street_idx"),
            models.Index(fields=["last_report_at"], name="hotissue_last_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.representative_text[:20]} ({self.case_count})"


class HotIssueCase(models.Model):
    """A case in a hot issue: a case belongs to one issue at most."""

    issue = models.ForeignKey(HotIssue, on_delete=models.CASCADE, related_name="members")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("热点问题案件")
        verbose_name_plural = _("热点问题案件")

    def __str__(self) -> str:
        return f"{self.issue_id}:{self.case_id}"


class RefreshState(models.Model):
    """One row: how far the refresh has read (the last case id) and when it last ran."""

    last_case_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("热点刷新进度")
        verbose_name_plural = _("热点刷新进度")

    def __str__(self) -> str:
        return f"≤ {self.last_case_id} @ {self.refreshed_at}"
