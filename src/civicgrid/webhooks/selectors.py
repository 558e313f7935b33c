"""Reads for webhooks: whose subscriptions a person manages, and the delivery log."""

from __future__ import annotations

from django.db.models import QuerySet

from civicgrid.accounts.clients import clients_managed_by
from civicgrid.accounts.models import ApiClient, User
from civicgrid.webhooks.choices import EVENTS, TEST, DeliveryState
from civicgrid.webhooks.models import WebhookDelivery, WebhookSubscription


def manageable_clients(user: User) -> QuerySet[ApiClient]:
    """The API clients whose subscriptions a person manages in the console: those they manage at all
    (accounts.clients.clients_managed_by: every one for an administrator, their department's and its
    sections' for a department admin, none otherwise)."""
    if not user.is_authenticated:
        return ApiClient.objects.none()
    return clients_managed_by(user).select_related("department", "user")


def subscriptions_of(client: ApiClient) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(client=client).order_by("id")


def deliveries_of(
    client: ApiClient,
    *,
    state: str = "",
    event: str = "",
    case_number: str = "",
    subscription_id: int | None = None,
) -> QuerySet[WebhookDelivery]:
    """A client's delivery log, newest first, filtered; unknown filter values match nothing."""
    rows = WebhookDelivery.objects.filter(subscription__client=client).select_related("subscription")
    if state:
        rows = rows.filter(state=state) if state in DeliveryState.values else rows.none()
    if event:
        rows = rows.filter(event_type=event) if event in (*EVENTS, TEST) else rows.none()
    if case_number:
        rows = rows.filter(case_number=case_number)
    if subscription_id is not None:
        rows = rows.filter(subscription_id=subscription_id)
    return rows.order_by("-created_at", "-id")
