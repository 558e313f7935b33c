"""Webhook subscriptions of API clients and their signed deliveries (Standard Webhooks)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import ApiClient
from civicgrid.webhooks.choices import DUE_STATES, DeliveryState


class WebhookSubscription(models.Model):
    """Where an API client's system wants to hear of case events (Webhook 订阅), and which ones.

    `filters` narrows what it gets: {"departments": [codes], "streets": [codes], "categories": [codes]};
    a department client gets its own department's cases only whatever it sets. The secret signs every
    delivery; it is shown once (create, rotate). After a rotation the previous secret signs too until
    `previous_secret_expires_at`, so the receiver can switch without losing a message.
    """

    client = models.ForeignKey(
        ApiClient, verbose_name=_("客户端"), on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(_("接收地址"), max_length=500)
    events = models.JSONField(_("事件"), default=list)
    filters = models.JSONField(_("筛选"), default=dict, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    disabled_reason = models.CharField(_("停用原因"), max_length=200, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    failing_since = models.DateTimeField(_("开始失败时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("Webhook 订阅")
        verbose_name_plural = _("Webhook 订阅")
        ordering = ["client_id", "id"]
        # The hook of every move reads the active subscriptions: one indexed query when there are none.
        indexes = [models.Index(fields=["is_active"], name="webhooksub_active_idx")]

    def __str__(self) -> str:
        return f"{self.client} → {self.url}"


class WebhookDeliveryQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(state__in=DUE_STATES, next_attempt_at__lte=now, subscription__is_active=True)

    def claimable(self, stale_before):
        return self.filter(models.Q(claimed_at__isnull=True) | models.Q(claimed_at__lt=stale_before))


class WebhookDelivery(models.Model):
    """One message to one subscription (Webhook 投递): the outbox row and its log.

    `message_id` is the `webhook-id` header, the same on every retry so a receiver drops repeats; a
    replay is a new delivery with a new id (`replay_of` the original). The payload is built when the
    event happens, in the move's transaction, and sent as it was built.
    """

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("订阅"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(_("事件"), max_length=40)
    message_id = models.CharField(_("消息 ID"), max_length=40, unique=True)
    case_number = models.CharField(_("案件编号"), max_length=30, blank=True, db_index=True)
    payload = models.JSONField(_("内容"))
    state = models.CharField(
        _("状态"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("响应码"), null=True, blank=True)
    last_response_body = models.TextField(_("响应内容"), blank=True)
    last_error = models.TextField(_("错误"), blank=True)
    last_duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self",
        verbose_name=_("重放自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replays",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("Webhook 投递")
        verbose_name_plural = _("Webhook 投递")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's claim: due rows by time.
            models.Index(fields=["state", "next_attempt_at"], name="webhookdel_due_idx"),
            # The delivery log of a subscription, newest first.
            models.Index(fields=["subscription", "-created_at"], name="webhookdel_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.event_type}"
