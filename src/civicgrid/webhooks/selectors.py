"""Reads for webhooks: whose subscriptions a person manages, and the delivery log."""

from __future__ import annotations

from django.db.models import QuerySet

from civicgrid.accounts.models import ApiClient, User
from civicgrid.accounts.roles import Role
from civicgrid.cases.access import department_subtree
from civicgrid.webhooks.choices import EVENTS, TEST, DeliveryState
from civicgrid.webhooks.models import WebhookDelivery, WebhookSubscription


def manageable_clients(user: User) -> QuerySet[ApiClient]:
    """The API clients whose subscriptions a person manages in the console: every one for an
    administrator, their department's (and its sections') for a department admin, none otherwise."""
    clients = ApiClient.objects.select_related("department", "user")
    if not user.is_authenticated:
        return clients.none()
    if user.role == Role.ADMIN:
        return clients
    if user.role == Role.DEPARTMENT_ADMIN and user.department_id:
        return clients.filter(department_id__in=department_subtree(user.department_id))
    return clients.none()


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
