"""Kinds of notification the platform knows about, and the delivery states of the outbox."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """The kinds the case loop sends. `Notification.kind` is free text: later apps add their own."""

    CASE_DISPATCHED = "case_dispatched", _("案件派遣")
    CASE_PROGRESS = "case_progress", _("案件进展")
    CASE_SUPERVISED = "case_supervised", _("案件督办")
    CASE_OVERDUE = "case_overdue", _("案件超期")
    SECURITY_ALERT = "security_alert", _("安全告警")


class DeliveryStatus(models.TextChoices):
    """Where a row is in the outbox (derived from processed_at and last_error, not stored)."""

    PENDING = "pending", _("待投递")  # waiting for the worker, possibly after failed attempts
    SENT = "sent", _("已投递")  # every channel accepted it (or there was no channel: in-app only)
    FAILED = "failed", _("投递失败")  # given up after the last attempt; last_error says why


# The kinds a person may set (the notification settings pages), with their label, who gets them
# ("citizen": people who report, as staff are not told of their own reports' progress; "staff":
# people who work cases; "everyone"). Without a saved setting the
# installation's channels apply (CIVICGRID_NOTIFICATION_SENDERS).
# Kinds not listed (security alerts) always go in-app by every configured channel.
SETTABLE_KINDS: dict[str, tuple[str, str]] = {
    "case_progress": (_("我的上报有进展"), "citizen"),
    "points_deduction": (_("积分扣减"), "everyone"),
    "points_honour": (_("获评表彰"), "everyone"),
    "volunteer": (_("志愿服务：报名、候补、提醒与时长"), "everyone"),
    NotificationKind.CASE_DISPATCHED: (_("新派遣、返工与重办的案件"), "staff"),
    NotificationKind.CASE_SUPERVISED: (_("领导督办"), "staff"),
    NotificationKind.CASE_OVERDUE: (_("超期（红灯）汇总"), "staff"),
}
