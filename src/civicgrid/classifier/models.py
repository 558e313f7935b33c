"""Trained classifiers (分类模型), one row per version; the file itself lies under CIVICGRID_CLASSIFIER_DIR."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Target(models.TextChoices):
    """What a model predicts from a report's text."""

    CATEGORY = "category", _("问题分类")  # labels "<kind>:<code>", e.g. "matter:06010"
    DEPARTMENT = "department", _("处置部门")  # labels: department codes
    OTHER = "other", _("其他标签")  # a model trained from a CSV with a label set of its own


class ModelVersion(models.Model):
    target = models.CharField(_("预测目标"), max_length=12, choices=Target.choices)
    labels = models.JSONField(_("标签集"), default=list)
    train_count = models.PositiveIntegerField(_("训练样本数"), default=0)
    heldout_count = models.PositiveIntegerField(_("留出样本数"), default=0)
    # accuracy, macro_f1, per-label precision/recall/F1/support on the held-back part
    metrics = models.JSONField(_("评估指标"), default=dict)
    source = models.CharField(_("训练数据"), max_length=200, blank=True)
    file = models.CharField(_("模型文件"), max_length=200)
    sha256 = models.CharField(_("文件哈希"), max_length=64)
    trained_at = models.DateTimeField(_("训练时间"), auto_now_add=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("训练人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("启用"), default=False)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("分类模型")
        verbose_name_plural = _("分类模型")
        ordering = ["-trained_at", "-id"]
        constraints = [
            # At most one model answers for each target.
            models.UniqueConstraint(
                fields=["target"], condition=models.Q(active=True), name="classifier_one_active_per_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} #{self.pk}"


class NightlyRetrain(models.Model):
    """The day's marker of the nightly retrain (classifier.training.nightly_retrain): one row a day."""

    day = models.DateField(_("日期"), unique=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    outcome = models.JSONField(_("结果"), default=dict)

    class Meta:
        verbose_name = _("夜间重新训练")
        verbose_name_plural = _("夜间重新训练")
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)


class SuggestionWhere(models.TextChoices):
    """Where a suggestion was shown."""

    H5 = "h5", _("市民随手拍")
    CONSOLE_REGISTER = "console_register", _("工作台立案")
    CONSOLE_DISPATCH = "console_dispatch", _("工作台派遣")
    API = "api", _("接口")


class SuggestionOutcome(models.TextChoices):
    """What became of a suggestion, by the label finally chosen."""

    PENDING = "pending", _("待定")
    ACCEPTED = "accepted", _("采纳首选")  # the chosen label is the top suggestion
    IN_TOP3 = "in_top3", _("在前三中")  # one of the others shown
    OVERRIDDEN = "overridden", _("被改选")  # none of those shown
    RETURNED = "returned", _("被退回")  # the suggested (or chosen) department returned the case


class SuggestionLog(models.Model):
    """One showing of suggestions and what was finally chosen: the accuracy the dashboard shows.

    The text itself is not kept (only its SHA-256): the case holds it, and an unsent draft stays private."""

    where = models.CharField(_("场景"), max_length=20, choices=SuggestionWhere.choices)
    target = models.CharField(_("预测目标"), max_length=12, choices=Target.choices)
    model_version = models.ForeignKey(
        ModelVersion,
        verbose_name=_("模型版本"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text_hash = models.CharField(_("文本哈希"), max_length=64)
    # [{"label": "matter:06010", "confidence": 0.86}, …] likeliest first, at most 3
    suggestions = models.JSONField(_("推荐标签"), default=list)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("案件"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("推荐时间"), auto_now_add=True, db_index=True)
    chosen_label = models.CharField(_("最终标签"), max_length=40, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=12, choices=SuggestionOutcome.choices, default=SuggestionOutcome.PENDING
    )
    resolved_at = models.DateTimeField(_("确定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推荐记录")
        verbose_name_plural = _("推荐记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the hooks: a case's logs
            models.Index(fields=["case", "target"], name="classifier_log_case_idx"),
            # a report links the reporter's unlinked suggestion of the same text
            models.Index(
                fields=["user", "text_hash"],
                condition=models.Q(case__isnull=True),
                name="classifier_log_unlinked_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_where_display()} #{self.pk}"

    @property
    def top_label(self) -> str:
        return self.suggestions[0]["label"] if self.suggestions else ""
