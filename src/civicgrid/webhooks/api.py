"""Webhooks API (`/api/webhooks/`, scope webhooks:manage): a client manages its own subscriptions.

Only a client's key may call it (the client is whoever the key belongs to); another client's
subscription or delivery answers 404. Secrets are returned once, by create and rotate.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Query, Router, Schema, Status

from civicgrid.accounts.auth import AUTH, api_client_of, api_scope
from civicgrid.accounts.models import ApiClient
from civicgrid.accounts.scopes import Scope
from civicgrid.core.errors import NotFound, PermissionDenied
from civicgrid.core.paging import Offset
from civicgrid.webhooks import selectors, services
from civicgrid.webhooks.choices import EVENTS
from civicgrid.webhooks.models import WebhookDelivery, WebhookSubscription

router = Router(tags=["webhooks"], auth=AUTH)


class SubscriptionIn(Schema):
    url: str = Field(max_length=500)
    events: list[str] = Field(min_length=1, max_length=len(EVENTS))
    filters: dict[str, list[str]] = {}


class SubscriptionPatch(Schema):
    url: str | None = Field(None, max_length=500)
    events: list[str] | None = Field(None, min_length=1, max_length=len(EVENTS))
    filters: dict[str, list[str]] | None = None
    is_active: bool | None = None


class SubscriptionOut(Schema):
    id: int
    url: str
    events: list[str]
    filters: dict
    is_active: bool
    disabled_at: datetime | None
    disabled_reason: str
    consecutive_failures: int
    created_at: datetime


class SubscriptionWithSecretOut(SubscriptionOut):
    secret: str  # shown once


class RotateIn(Schema):
    overlap_hours: int = Field(24, ge=0, le=168)


class SecretOut(Schema):
    secret: str
    previous_secret_expires_at: datetime | None


class DeliveryOut(Schema):
    id: int
    subscription: int
    event_type: str
    message_id: str
    case_number: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    last_duration_ms: int | None
    delivered_at: datetime | None
    replay_of: int | None
    created_at: datetime


class DeliveryDetailOut(DeliveryOut):
    payload: dict
    last_response_body: str


class DeliveryListIn(Schema):
    state: str = ""
    event: str = ""
    case: str = Field("", max_length=30)
    limit: int = Field(50, ge=1, le=200)
    offset: Offset = 0


class DeliveryListOut(Schema):
    count: int
    items: list[DeliveryOut]


def _client(request) -> ApiClient:
    client = api_client_of(request)
    if client is None:
        raise PermissionDenied(
            "client_key_required",
            "只有 API 客户端的密钥可以管理其订阅；管理员请使用工作台",
            "only an API client's key manages its subscriptions; administrators use the console",
        )
    return client


def _subscription(request, pk: int) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.filter(pk=pk, client=_client(request)).first()
    if subscription is None:
        raise NotFound("subscription_not_found", "订阅不存在", "no such subscription")
    return subscription


def _out(subscription: WebhookSubscription) -> dict:
    return {f: getattr(subscription, f) for f in SubscriptionOut.model_fields}


def _delivery_out(d: WebhookDelivery, *, detail: bool = False) -> dict:
    out = {f: getattr(d, f) for f in DeliveryOut.model_fields if f not in ("subscription", "replay_of")}
    out.update(subscription=d.subscription_id, replay_of=d.replay_of_id)
    if detail:
        out.update(payload=d.payload, last_response_body=d.last_response_body)
    return out


@router.get("/subscriptions", response=list[SubscriptionOut])
@api_scope(Scope.WEBHOOKS_MANAGE)
def subscription_list(request):
    """This client's subscriptions (never their secrets)."""
    return [_out(s) for s in selectors.subscriptions_of(_client(request))]


@router.get("/events", response=list[str])
@api_scope(Scope.WEBHOOKS_MANAGE)
def event_list(request):
    """The events a subscription may choose."""
    return list(EVENTS)


@router.post("/subscriptions", response={201: SubscriptionWithSecretOut})
@api_scope(Scope.WEBHOOKS_MANAGE)
def subscription_create(request, payload: SubscriptionIn):
    """A new subscription; the answer carries its secret, shown this once."""
    subscription, secret = services.webhook_subscription_create(
        client=_client(request), url=payload.url, events=payload.events, filters=payload.filters
    )
    return Status(201, {**_out(subscription), "secret": secret})


@router.get("/subscriptions/{pk}", response=SubscriptionOut)
@api_scope(Scope.WEBHOOKS_MANAGE)
def subscription_detail(request, pk: int):
    return _out(_subscription(request, pk))


@router.patch("/subscriptions/{pk}", response=SubscriptionOut)
@api_scope(Scope.WEBHOOKS_MANAGE)
def subscription_update(request, pk: int, payload: SubscriptionPatch):
    """Change the URL, the events, the filters, or enable/disable it."""
    subscription = services.webhook_subscription_update(
        subscription=_subscription(request, pk),
        url=payload.url,
        events=payload.events,
        filters=payload.filters,
        is_active=payload.is_active,
    )
    return _out(subscription)


@router.delete("/subscriptions/{pk}", response={204: None})
@api_scope(Scope.WEBHOOKS_MANAGE)
def subscription_delete(request, pk: int):
    services.webhook_subscription_delete(subscription=_subscription(request, pk))
    return Status(204, None)


@router.post("/subscriptions/{pk}/rotate", response=SecretOut)
@api_scope(Scope.WEBHOOKS_MANAGE)
def subscription_rotate(request, pk: int, payload: RotateIn):
    """A new secret, shown this once; the old one signs too for `overlap_hours`."""
    subscription = _subscription(request, pk)
    secret = services.webhook_secret_rotate(subscription=subscription, overlap_hours=payload.overlap_hours)
    return {"secret": secret, "previous_secret_expires_at": subscription.previous_secret_expires_at}


@router.post("/subscriptions/{pk}/test", response={202: DeliveryOut})
@api_scope(Scope.WEBHOOKS_MANAGE)
def subscription_test(request, pk: int):
    """Queue a `webhook.test` message to the subscription's receiver."""
    return Status(202, _delivery_out(services.webhook_test_send(subscription=_subscription(request, pk))))


@router.get("/deliveries", response=DeliveryListOut)
@api_scope(Scope.WEBHOOKS_MANAGE)
def delivery_list(request, params: Query[DeliveryListIn]):
    """This client's deliveries, newest first, by state, event and case number."""
    rows = selectors.deliveries_of(
        _client(request), state=params.state, event=params.event, case_number=params.case
    )
    page = rows[params.offset : params.offset + params.limit]
    return {"count": rows.count(), "items": [_delivery_out(d) for d in page]}


def _delivery(request, pk: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(pk=pk, subscription__client=_client(request))
        .first()
    )
    if delivery is None:
        raise NotFound("delivery_not_found", "投递记录不存在", "no such delivery")
    return delivery


@router.get("/deliveries/{pk}", response=DeliveryDetailOut)
@api_scope(Scope.WEBHOOKS_MANAGE)
def delivery_detail(request, pk: int):
    return _delivery_out(_delivery(request, pk), detail=True)


@router.post("/deliveries/{pk}/replay", response={202: DeliveryOut})
@api_scope(Scope.WEBHOOKS_MANAGE)
def delivery_replay(request, pk: int):
    """Send the delivery's payload again: a new delivery with a new message id."""
    return Status(202, _delivery_out(services.webhook_delivery_replay(delivery=_delivery(request, pk))))
