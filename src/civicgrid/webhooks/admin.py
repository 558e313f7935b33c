"""Admin: subscriptions and deliveries, read mostly; secrets never shown (they are not editable fields)."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from civicgrid.webhooks.models import WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("client", "url", "is_active", "consecutive_failures", "disabled_reason", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "client__name")
    readonly_fields = ("consecutive_failures", "failing_since", "disabled_at", "created_at", "updated_at")
    # Receivers use https (services.py checks the address): a URL typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "message_id",
        "event_type",
        "case_number",
        "state",
        "attempts",
        "last_status_code",
        "created_at",
    )
    list_filter = ("state", "event_type")
    search_fields = ("message_id", "case_number")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
