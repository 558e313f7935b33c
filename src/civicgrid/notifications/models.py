"""The notification outbox (通知): one row per message, shown in-app and delivered by the worker.

A row is written by `services.notify` inside the transaction of the change it announces, so a
rolled-back dispatch leaves no message behind. `civicgrid worker` later claims the due rows and
hands each to the senders named in `channels` (log, SMS, webhook); see `services.claim_due`.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.notifications.choices import DeliveryStatus


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user: models.Model) -> NotificationQuerySet:
        """A person's inbox (department/webhook-only rows have no recipient and are in no inbox)."""
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def pending(self) -> NotificationQuerySet:
        return self.filter(processed_at__isnull=True)

    def due(self, now: datetime) -> NotificationQuerySet:
        """Pending rows whose next attempt time has come (uses the outbox index)."""
        return self.filter(processed_at__isnull=True, next_attempt_at__lte=now)

    def claimable(self, stale_before: datetime) -> NotificationQuerySet:
        """Rows no worker holds: never claimed, or claimed before `stale_before` (a dead worker)."""
        return self.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale_before))


class Notification(models.Model):
    """A message to one person (or, without a recipient, to a department's system by webhook).

    The same row is the person's in-app notice (`read_at`) and the outbox entry the worker
    delivers through `channels` (`processed_at`, `attempts`, `next_attempt_at`, `last_error`).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notif_recipient_list starts with it
        help_text=_("为空表示只发给部门系统（webhook）"),
    )
    # Free text, not choices: later apps add kinds without a migration here (see choices.NotificationKind).
    kind = models.CharField(_("类型"), max_length=50)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    # Not a foreign key: the cases app must be able to change without touching the outbox.
    case_id = models.BigIntegerField(_("案件"), null=True, blank=True)
    link = models.CharField(
        _("链接"),
        max_length=300,
        blank=True,
        help_text=_("点击后打开的页面"),
    )
    phone = models.CharField(
        _("短信号码"),
        max_length=20,
        blank=True,
        help_text=_("没有账号的接收人（热线来电人）的短信号码"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    # --- outbox ---------------------------------------------------------------------------
    channels = models.JSONField(
        _("投递渠道"),
        default=list,
        blank=True,
        help_text=_('发送器名称，如 ["log", "sms"]；空表示仅站内 Sender names; empty for in-app only.'),
    )
    sent_channels = models.JSONField(
        _("已投递渠道"),
        default=list,
        blank=True,
        help_text=_("已成功的渠道，重试时不再重复发送"),
    )
    processed_at = models.DateTimeField(
        _("处理时间"),
        null=True,
        blank=True,
        help_text=_("投递成功或放弃的时间"),
    )
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    last_error = models.TextField(_("最近错误"), blank=True)
    dedupe_key = models.CharField(
        _("去重键"),
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text=_("同一键只入队一次，如"),
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's claim: processed_at IS NULL AND next_attempt_at <= now.
            models.Index(fields=["processed_at", "next_attempt_at"], name="notif_outbox_due"),
            # A person's list, newest first, and the unread count.
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_list"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def delivery_status(self) -> DeliveryStatus:
        if self.processed_at is None:
            return DeliveryStatus.PENDING
        return DeliveryStatus.FAILED if self.last_error else DeliveryStatus.SENT


class NotificationPreference(models.Model):
    """How one person wants one kind of notification: in the inbox (站内) and/or by SMS (短信).

    No row means the kind's defaults (`choices.KIND_DEFAULTS`). `services.notify` reads it: a kind
    with neither channel is not written at all; without 站内 it is written read (delivered only)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("类型"), max_length=50)
    in_app = models.BooleanField(_("站内"), default=True)
    sms = models.BooleanField(_("短信"), default=False)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notifpref_user_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: in_app={self.in_app} sms={self.sms}"
