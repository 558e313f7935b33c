"""The stored hints on each feedback (处置反馈): one score per FEEDBACK event, written once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core import immutable


class ReplyScore(models.Model):
    """The reply-quality score of one feedback, as the hints judged it when it was given.

    Append-only in the database too (core/immutable.py, migration replyquality 0001). `checks` holds
    the codes, weights and results of the checks only (no words of the citizen or the handler: the
    pages name each check through `replyquality.messages`), so an erasure has nothing to mask here.
    """

    IMMUTABLE = immutable.Columns()

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="reply_scores")
    event = models.OneToOneField("cases.CaseEvent", on_delete=models.PROTECT, related_name="reply_score")
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("处置部门"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    score = models.PositiveSmallIntegerField(_("答复质量分"))
    checks = models.JSONField(_("检查项"), default=list)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("答复质量")
        verbose_name_plural = _("答复质量")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at", "department"], name="replyscore_recent_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} feedback {self.event_id}: {self.score}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("reply scores are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("reply scores are immutable")
