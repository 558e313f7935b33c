"""Webhook 订阅: the subscriptions of the API clients a person manages, and their delivery log.

Administrators manage every client's; a department admin their department's (and its sections').
Anyone else is refused (403); a client, subscription or delivery beyond what one manages is 404. A
new or rotated secret is shown once, in the answer to the POST that made it, which no cache keeps.
"""

from __future__ import annotations

from functools import wraps

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicgrid.accounts.models import ApiClient
from civicgrid.console.views import _page, staff_required
from civicgrid.core.errors import DomainError
from civicgrid.webhooks import selectors, services
from civicgrid.webhooks.choices import EVENTS, TEST, DeliveryState
from civicgrid.webhooks.models import WebhookDelivery, WebhookSubscription

DELIVERIES_PER_PAGE = 50
FILTER_FIELDS = ("departments", "streets", "categories")


def manager_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not selectors.manageable_clients(request.user).exists():
            reason = _("只有管理员和部门管理员可以管理 webhook 订阅。")
            return _page(request, "console/denied.html", {"reason": reason}, status=403)
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def _gone(request: HttpRequest) -> HttpResponse:
    return _page(request, "console/webhooks/gone.html", {}, status=404)


def _client_of(request: HttpRequest, pk) -> ApiClient | None:
    if not str(pk or "").isdigit():
        return None
    return selectors.manageable_clients(request.user).filter(pk=int(pk)).first()


def _subscription_of(request: HttpRequest, pk: int) -> WebhookSubscription | None:
    clients = selectors.manageable_clients(request.user)
    return WebhookSubscription.objects.select_related("client").filter(pk=pk, client__in=clients).first()


def _filters_from(data) -> dict[str, list[str]]:
    return {
        key: [v.strip() for v in data.get(key, "").replace("，", ",").split(",") if v.strip()]
        for key in FILTER_FIELDS
    }


def _no_store(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True)
    return response


def _subscriptions_page(
    request: HttpRequest,
    client: ApiClient | None,
    *,
    status: int = 200,
    error: DomainError | None = None,
    secret: tuple[WebhookSubscription, str] | None = None,
) -> HttpResponse:
    subscriptions = list(selectors.subscriptions_of(client)) if client else []
    for s in subscriptions:
        s.filter_text = {key: ",".join((s.filters or {}).get(key, [])) for key in FILTER_FIELDS}
    context = {
        "client": client,
        "clients": [] if client else list(selectors.manageable_clients(request.user).order_by("name")),
        "subscriptions": subscriptions,
        "events": EVENTS,
        "error": error,
        "submitted": request.POST if error else {},
        "secret": secret,
    }
    return _no_store(_page(request, "console/webhooks/subscriptions.html", context, status=status))


@require_GET
@manager_required
def webhooks(request: HttpRequest) -> HttpResponse:
    """A client's subscriptions (`?client=<pk>`), or the clients one may choose from."""
    if "client" in request.GET:
        client = _client_of(request, request.GET["client"])
        if client is None:
            return _gone(request)
        return _subscriptions_page(request, client)
    return _subscriptions_page(request, None)


@require_POST
@manager_required
def webhook_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = _client_of(request, client_pk)
    if client is None:
        return _gone(request)
    try:
        subscription, secret = services.webhook_subscription_create(
            client=client,
            url=request.POST.get("url", ""),
            events=request.POST.getlist("events"),
            filters=_filters_from(request.POST),
        )
    except DomainError as exc:
        return _subscriptions_page(request, client, status=exc.status, error=exc)
    return _subscriptions_page(request, client, status=201, secret=(subscription, secret))


@require_POST
@manager_required
def webhook_update(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription_of(request, pk)
    if subscription is None:
        return _gone(request)
    try:
        services.webhook_subscription_update(
            subscription=subscription,
            url=request.POST.get("url", ""),
            events=request.POST.getlist("events"),
            filters=_filters_from(request.POST),
        )
    except DomainError as exc:
        return _subscriptions_page(request, subscription.client, status=exc.status, error=exc)
    return redirect(reverse("console:webhooks") + f"?client={subscription.client_id}")


@require_POST
@manager_required
def webhook_active(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription_of(request, pk)
    if subscription is None:
        return _gone(request)
    services.webhook_subscription_update(
        subscription=subscription, is_active=request.POST.get("active") == "1"
    )
    return redirect(reverse("console:webhooks") + f"?client={subscription.client_id}")


@require_POST
@manager_required
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription_of(request, pk)
    if subscription is None:
        return _gone(request)
    secret = services.webhook_secret_rotate(subscription=subscription)
    return _subscriptions_page(request, subscription.client, secret=(subscription, secret))


@require_POST
@manager_required
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription_of(request, pk)
    if subscription is None:
        return _gone(request)
    delivery = services.webhook_test_send(subscription=subscription)
    return redirect("console:webhook_delivery", pk=delivery.pk)


@require_GET
@manager_required
def webhook_deliveries(request: HttpRequest) -> HttpResponse:
    """A client's delivery log, newest first: by state, event and case number."""
    client = _client_of(request, request.GET.get("client"))
    if client is None:
        return _gone(request)
    state = request.GET.get("state", "")
    event = request.GET.get("event", "")
    case_number = request.GET.get("case", "").strip()[:30]
    rows = selectors.deliveries_of(client, state=state, event=event, case_number=case_number)
    page = Paginator(rows, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "client": client,
        "page": page,
        "state": state,
        "event": event,
        "case_number": case_number,
        "states": DeliveryState.choices,
        "events": (*EVENTS, TEST),
    }
    return _page(request, "console/webhooks/deliveries.html", context)


def _delivery_of(request: HttpRequest, pk: int) -> WebhookDelivery | None:
    clients = selectors.manageable_clients(request.user)
    return (
        WebhookDelivery.objects.select_related("subscription", "subscription__client", "replay_of")
        .filter(pk=pk, subscription__client__in=clients)
        .first()
    )


@require_GET
@manager_required
def webhook_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """One delivery: its payload, the headers it is sent with (signatures elided), the last answer."""
    delivery = _delivery_of(request, pk)
    if delivery is None:
        return _gone(request)
    at = delivery.last_attempt_at or timezone.now()
    headers = services.request_headers(delivery, at)
    headers["webhook-signature"] = " ".join(
        part.split(",")[0] + ",…" for part in headers["webhook-signature"].split()
    )
    context = {
        "delivery": delivery,
        "client": delivery.subscription.client,
        "headers": {"Content-Type": "application/json", "User-Agent": services.USER_AGENT, **headers},
        "body": services.payloads.body_of(delivery.payload),
        "replays": list(delivery.replays.order_by("id")),
    }
    return _no_store(_page(request, "console/webhooks/delivery.html", context))


@require_POST
@manager_required
def webhook_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _delivery_of(request, pk)
    if delivery is None:
        return _gone(request)
    try:
        replay = services.webhook_delivery_replay(delivery=delivery)
    except DomainError as exc:
        context = {"reason": exc.message}
        return _page(request, "console/denied.html", context, status=exc.status)
    return redirect("console:webhook_delivery", pk=replay.pk)
