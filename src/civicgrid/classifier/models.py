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
