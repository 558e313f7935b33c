"""Writes for webhooks: subscriptions (create, change, rotate the secret, delete), enqueueing events
in the move's transaction, test sends and replays, and the worker's delivery loop.

Delivery follows the notifications outbox (notifications.services): due rows are claimed with a
conditional UPDATE and a lease, so two workers never send the same delivery at the same time; each
is POSTed with a timeout, and a failure is retried with exponential backoff and jitter until
CIVICGRID_WEBHOOK_MAX_ATTEMPTS, after which it is dead. A 410 Gone disables the subscription at
once; a long streak of failures disables it too, and its department's admins are told.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import socket
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from civicgrid import __version__
from civicgrid.accounts.models import ApiClient, Department, User
from civicgrid.accounts.roles import Role
from civicgrid.cases.access import can_view, department_subtree
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.grids.models import Street
from civicgrid.notifications.services import notify
from civicgrid.taxonomy.models import Category
from civicgrid.webhooks import payloads, signing
from civicgrid.webhooks.choices import DUE_STATES, EVENT_OF_ACTION, EVENTS, OVERDUE, TEST, DeliveryState
from civicgrid.webhooks.models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger("civicgrid.webhooks")

TIMEOUT_SECONDS = 5
RESPONSE_KEPT = 2048  # bytes of a receiver's answer kept in the log
ERROR_MAX = 2000
BACKOFF = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1)]
BACKOFF += [timedelta(hours=4), timedelta(hours=12), timedelta(hours=24)]
JITTER = 0.1  # ±10 %: receivers coming back from an outage are not hit by every retry at once
LEASE = timedelta(minutes=2)
RUN_SECONDS = 20  # a pass stops taking new deliveries after this long
PER_SUBSCRIPTION = 10  # deliveries of one subscription per pass: a slow receiver does not stall the others
SUBSCRIPTIONS_MAX = 10
FILTER_KEYS = {"departments": Department, "streets": Street, "categories": Category}
FILTER_VALUES_MAX = 50
DEFAULT_OVERLAP_HOURS = 24
USER_AGENT = f"civicgrid/{__version__} (webhooks)"


# --- addresses a subscription may use -----------------------------------------------------------------


def local_allowed() -> bool:
    """Plain http and private/loopback receivers: development, or an intranet install that says so."""
    return bool(settings.DEBUG or getattr(settings, "CIVICGRID_WEBHOOK_ALLOW_HTTP", False))


def _is_local(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified


def _host_is_local(host: str) -> bool | None:
    """True for localhost or a literal private address, False for a literal public one, None for a name."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return _is_local(host)
    except ValueError:
        return None


def url_check(url: str) -> str:
    """A receiver's address, refused unless https (http only for a local receiver where allowed)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if len(url) > 500 or parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise DomainError("url_invalid", "接收地址无效", "the receiver's URL is not valid", field="url")
    local = _host_is_local(parts.hostname)
    if local and not local_allowed():
        raise DomainError(
            "url_not_allowed",
            "不能向本机或内网地址投递",
            "deliveries to local or private addresses are not allowed",
            field="url",
        )
    # A name (an intranet host) may use http where allowed; the worker then sends only if it resolves
    # to a private address (address_refusal).
    if parts.scheme == "http" and not (local is not False and local_allowed()):
        raise DomainError(
            "url_https_required", "接收地址必须使用 https", "the receiver's URL must use https", field="url"
        )
    return url


def address_refusal(url: str) -> str | None:
    """Why a delivery may not go to this address now (what its name resolves to), or None."""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError as exc:
        return f"cannot resolve {parts.hostname}: {exc}"
    local = [_is_local(info[4][0].split("%")[0]) for info in infos]
    if not local_allowed() and any(local):
        return f"{parts.hostname} resolves to a local or private address"
    if parts.scheme == "http" and not (local_allowed() and all(local)):
        return f"plain http only to a local or private address, not {parts.hostname}"
    return None


# --- subscriptions ------------------------------------------------------------------------------------


def events_check(events) -> list[str]:
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise DomainError("events_invalid", "请至少选择一个事件", "choose at least one event", field="events")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise DomainError(
            "events_invalid",
            f"未知的事件：{'、'.join(unknown)}",
            f"unknown events: {', '.join(unknown)}",
            field="events",
        )
    return [e for e in EVENTS if e in events]  # the catalogue's order, no repeats


def filters_check(filters) -> dict[str, list[str]]:
    if filters is None:
        return {}
    if not isinstance(filters, dict) or set(filters) - set(FILTER_KEYS):
        raise DomainError(
            "filters_invalid",
            "筛选只能按 departments、streets、categories",
            "filters may only be departments, streets, categories",
            field="filters",
        )
    out = {}
    for key, model in FILTER_KEYS.items():
        values = filters.get(key) or []
        if (
            not isinstance(values, list)
            or len(values) > FILTER_VALUES_MAX
            or not all(isinstance(v, str) and 0 < len(v) <= 20 for v in values)
        ):
            raise DomainError(
                "filters_invalid",
                f"筛选 {key} 应为编码列表",
                f"filter {key} must be a list of codes",
                field="filters",
            )
        known = set(model.objects.filter(code__in=values).values_list("code", flat=True))
        missing = [v for v in values if v not in known]
        if missing:
            raise DomainError(
                "filters_invalid",
                f"筛选 {key} 中的编码不存在：{'、'.join(missing)}",
                f"unknown codes in filter {key}: {', '.join(missing)}",
                field="filters",
            )
        if values:
            out[key] = sorted(set(values))
    return out


@transaction.atomic
def webhook_subscription_create(
    *, client: ApiClient, url: str, events: list[str], filters: dict | None = None
) -> tuple[WebhookSubscription, str]:
    """A new subscription; returns it and its secret, which is never shown again."""
    url, events, filters = url_check(url), events_check(events), filters_check(filters)
    if WebhookSubscription.objects.filter(client=client).count() >= SUBSCRIPTIONS_MAX:
        raise DomainError(
            "subscriptions_full",
            f"每个客户端最多 {SUBSCRIPTIONS_MAX} 个订阅",
            f"a client has at most {SUBSCRIPTIONS_MAX} subscriptions",
        )
    secret = signing.secret_generate()
    now = clock.now()
    subscription = WebhookSubscription.objects.create(
        client=client, url=url, events=events, filters=filters, secret=secret, created_at=now, updated_at=now
    )
    return subscription, secret


@transaction.atomic
def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: list[str] | None = None,
    filters: dict | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change what is given; enabling a disabled subscription starts its failure count afresh."""
    fields = ["updated_at"]
    if url is not None:
        subscription.url = url_check(url)
        fields.append("url")
    if events is not None:
        subscription.events = events_check(events)
        fields.append("events")
    if filters is not None:
        subscription.filters = filters_check(filters)
        fields.append("filters")
    if is_active is not None and is_active != subscription.is_active:
        subscription.is_active = is_active
        if is_active:
            subscription.disabled_at, subscription.disabled_reason = None, ""
            subscription.consecutive_failures, subscription.failing_since = 0, None
        else:
            subscription.disabled_at, subscription.disabled_reason = clock.now(), "停用（手动）"
        fields += ["is_active", "disabled_at", "disabled_reason", "consecutive_failures", "failing_since"]
    subscription.updated_at = clock.now()
    subscription.save(update_fields=fields)
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    subscription.delete()


@transaction.atomic
def webhook_secret_rotate(
    *, subscription: WebhookSubscription, overlap_hours: int = DEFAULT_OVERLAP_HOURS
) -> str:
    """A new secret, returned once; the old one keeps signing too for `overlap_hours` (0: stops now)."""
    if not 0 <= overlap_hours <= 168:
        raise DomainError(
            "overlap_invalid",
            "过渡期应在 0 到 168 小时之间",
            "the overlap must be 0 to 168 hours",
            field="overlap_hours",
        )
    secret = signing.secret_generate()
    now = clock.now()
    subscription.previous_secret = subscription.secret if overlap_hours else ""
    subscription.previous_secret_expires_at = now + timedelta(hours=overlap_hours) if overlap_hours else None
    subscription.secret = secret
    subscription.updated_at = now
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return secret


def signing_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    out = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires and expires > now:
        out.append(subscription.previous_secret)
    return out


def webhook_subscription_disable(*, subscription: WebhookSubscription, reason: str) -> bool:
    """Disable a subscription the worker gave up on, and tell its department's admins. Idempotent."""
    now = clock.now()
    with transaction.atomic():
        changed = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason[:200], updated_at=now
        )
        if not changed:
            return False
        client = subscription.client
        departments = _department_and_parents(client.department_id or client.user.department_id)
        admins = User.objects.filter(
            is_active=True, role=Role.DEPARTMENT_ADMIN, department_id__in=departments
        )
        people = list(admins) or list(User.objects.filter(is_active=True, role=Role.ADMIN))
        link = reverse("console:webhooks") + f"?client={client.pk}"
        for person in people:
            notify(
                recipient=person,
                kind="webhook_disabled",
                title=f"Webhook 订阅已停用：{client.name}",
                body=f"{subscription.url}：{reason}",
                link=link,
            )
    subscription.is_active, subscription.disabled_at, subscription.disabled_reason = False, now, reason[:200]
    logger.warning("webhook subscription %s disabled: %s", subscription.pk, reason)
    return True


def _department_and_parents(department_id: int | None) -> list[int]:
    """A section's admins are its bureau's: the department and every one above it."""
    out = []
    while department_id and department_id not in out:
        out.append(department_id)
        department_id = (
            Department.objects.filter(pk=department_id).values_list("parent_id", flat=True).first()
        )
    return out


# --- events ---------------------------------------------------------------------------------------------


def message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def _delivery(
    subscription: WebhookSubscription, event_type: str, payload: dict, case_number: str = "", **extra
):
    now = clock.now()
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event_type=event_type,
        message_id=message_id(),
        case_number=case_number or "",
        payload=payload,
        next_attempt_at=now,
        created_at=now,
        **extra,
    )


def department_ids_of(client: ApiClient) -> list[int] | None:
    """The departments whose cases a department system hears of (its own, and a bureau's sections),
    or None for a client that is not a department's (the hotline, a platform: its account decides)."""
    user = client.user
    if user.role not in (Role.HANDLER, Role.DEPARTMENT_ADMIN):
        return None
    department_id = client.department_id or user.department_id
    if not department_id:
        return []
    return department_subtree(department_id) if user.role == Role.DEPARTMENT_ADMIN else [department_id]


def wants(subscription: WebhookSubscription, case: Case, event: CaseEvent | None) -> bool:
    """Whether this subscription hears of this case: its account may see it (a department system: a
    case of its department, or a step its department took — a return leaves the case without one),
    within the client's streets and the subscription's filters."""
    client = subscription.client
    departments = department_ids_of(client)
    if departments is not None:
        mine = case.department_id in departments or (event is not None and event.department_id in departments)
        if not (mine or case.reporter_id == client.user_id):
            return False
    elif not can_view(client.user, case):
        return False
    street = case.street.code if case.street_id else None
    if client.streets and street not in client.streets:
        return False
    filters = subscription.filters or {}
    if filters.get("streets") and street not in filters["streets"]:
        return False
    if (
        filters.get("categories")
        and (case.category.code if case.category_id else None) not in filters["categories"]
    ):
        return False
    if filters.get("departments"):
        codes = {case.department.code if case.department_id else None}
        if event is not None and event.department_id:
            codes.add(event.department.code)
        if not codes & set(filters["departments"]):
            return False
    return True


def _listening(event_type: str) -> list[WebhookSubscription]:
    """The active subscriptions to an event: one indexed query (none at all when nobody subscribes)."""
    subscriptions = WebhookSubscription.objects.filter(is_active=True, client__is_active=True).select_related(
        "client", "client__user"
    )
    return [s for s in subscriptions if event_type in s.events]


def on_case_event(case: Case, event: CaseEvent) -> None:
    """A move's reaction (cases.hooks): one delivery per subscription that wants it, in the move's transaction."""
    event_type = EVENT_OF_ACTION.get(event.action)
    if event_type is None:
        return
    for subscription in _listening(event_type):
        if wants(subscription, case, event):
            payload = payloads.payload_for_event(subscription.client, event_type, case, event)
            _delivery(subscription, event_type, payload, case.number or "")


def on_case_overdue(case: Case, deadline: CaseDeadline) -> None:
    """A step's time limit passed (cases.hooks.on_overdue): once per step, with the overdue mark."""
    for subscription in _listening(OVERDUE):
        if wants(subscription, case, None):
            payload = payloads.payload_for_overdue(subscription.client, case, deadline)
            _delivery(subscription, OVERDUE, payload, case.number or "")


@transaction.atomic
def webhook_test_send(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a `webhook.test` message, to check a receiver and its signature check."""
    return _delivery(subscription, TEST, payloads.payload_for_test(subscription.client))


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's payload again, as a new delivery with a new message id, linked to the original."""
    if not delivery.subscription.is_active:
        raise DomainError(
            "subscription_disabled",
            "订阅已停用，请先启用",
            "the subscription is disabled; enable it first",
            status=409,
        )
    return _delivery(
        delivery.subscription, delivery.event_type, delivery.payload, delivery.case_number, replay_of=delivery
    )


# --- the worker -----------------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 30 s, 2 min, 10 min, 1 h, 4 h, 12 h, 24 h…, ±10 %."""
    base = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def max_attempts() -> int:
    return int(getattr(settings, "CIVICGRID_WEBHOOK_MAX_ATTEMPTS", 8))


def claim_due(limit: int | None = None, now: datetime | None = None) -> list[WebhookDelivery]:
    """Claim due deliveries for this worker: up to PER_SUBSCRIPTION of each subscription with due rows,
    oldest first, returned taking the subscriptions in turn, so a backlog or a slow receiver of one
    never starves the others. No other worker gets a claimed row until the lease runs out: the
    conditional UPDATE decides, as in notifications.services.claim_due."""
    now = now or clock.now()
    limit = limit or int(getattr(settings, "CIVICGRID_WEBHOOK_BATCH", 50))
    stale_before = now - LEASE
    due = WebhookDelivery.objects.due(now).claimable(stale_before)
    claimed: dict[int, list[int]] = {}
    total = 0
    with transaction.atomic():
        subscriptions = list(
            due.order_by("subscription_id").values_list("subscription_id", flat=True).distinct()[:limit]
        )
        for subscription_id in subscriptions:
            candidates = (
                due.filter(subscription_id=subscription_id)
                .order_by("next_attempt_at", "id")
                .values_list("pk", flat=True)[: min(PER_SUBSCRIPTION, limit - total)]
            )
            mine = [pk for pk in candidates if _try_claim(pk, now=now, stale_before=stale_before)]
            claimed[subscription_id] = mine
            total += len(mine)
            if total >= limit:
                break
    if not total:
        return []
    rows = {
        d.pk: d
        for d in WebhookDelivery.objects.filter(
            pk__in=[pk for pks in claimed.values() for pk in pks]
        ).select_related("subscription", "subscription__client", "subscription__client__user")
    }
    # In turn: the first of each subscription, then the second of each, …
    turns = [pks[i] for i in range(PER_SUBSCRIPTION) for pks in claimed.values() if i < len(pks)]
    return [rows[pk] for pk in turns]


def _try_claim(pk: int, *, now: datetime, stale_before: datetime) -> bool:
    """The conditional UPDATE, on the row's own columns only: a condition through a join (the
    subscription's) becomes `id IN (SELECT …)`, which PostgreSQL does not re-check against the row a
    concurrent claim just changed — two workers would both win."""
    return bool(
        WebhookDelivery.objects.filter(pk=pk, state__in=DUE_STATES, next_attempt_at__lte=now)
        .claimable(stale_before)
        .update(claimed_at=now)
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a place to go: a receiver could point us anywhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: str, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """POST once: (status code or None, the answer's first bytes, an error or "")."""
    refusal = address_refusal(url)
    if refusal:
        return None, "", refusal
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read(RESPONSE_KEPT).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as exc:
        text = exc.read(RESPONSE_KEPT).decode("utf-8", "replace") if exc.fp else ""
        return exc.code, text, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:  # refused, timed out, TLS, a bad URL
        return None, "", f"{type(exc).__name__}: {exc}"[:ERROR_MAX]


def request_headers(delivery: WebhookDelivery, now: datetime) -> dict[str, str]:
    body = payloads.body_of(delivery.payload)
    secrets_ = signing_secrets(delivery.subscription, now)
    return signing.headers(secrets_, delivery.message_id, int(now.timestamp()), body)


def deliver(delivery: WebhookDelivery, now: datetime | None = None) -> bool:
    """Send one claimed delivery and record the outcome; returns whether it was delivered."""
    subscription = delivery.subscription
    now = now or clock.now()
    body = payloads.body_of(delivery.payload)
    headers = signing.headers(
        signing_secrets(subscription, now), delivery.message_id, int(now.timestamp()), body
    )
    started = time.monotonic()
    status, text, error = post(subscription.url, body, headers)
    duration = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    attempts = delivery.attempts + 1
    fields: dict[str, object] = {
        "attempts": attempts,
        "claimed_at": None,
        "last_attempt_at": now,
        "last_status_code": status,
        "last_response_body": text,
        "last_error": "" if ok else (error or f"HTTP {status}"),
        "last_duration_ms": duration,
    }
    if ok:
        fields.update(state=DeliveryState.DELIVERED, delivered_at=now)
    elif status == 410 or attempts >= max_attempts():
        fields["state"] = DeliveryState.DEAD
    else:
        fields.update(state=DeliveryState.FAILED, next_attempt_at=now + backoff(attempts))
    WebhookDelivery.objects.filter(
        pk=delivery.pk, state__in=[DeliveryState.PENDING, DeliveryState.FAILED]
    ).update(**fields)
    for field, value in fields.items():
        setattr(delivery, field, value)
    _record_outcome(subscription, ok=ok, status=status, now=now)
    return ok


def _record_outcome(
    subscription: WebhookSubscription, *, ok: bool, status: int | None, now: datetime
) -> None:
    if ok:
        if subscription.consecutive_failures or subscription.failing_since:
            WebhookSubscription.objects.filter(pk=subscription.pk).update(
                consecutive_failures=0, failing_since=None
            )
            subscription.consecutive_failures, subscription.failing_since = 0, None
        return
    if status == 410:
        webhook_subscription_disable(subscription=subscription, reason="接收方答复 410 Gone（不再接收）")
        return
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    WebhookSubscription.objects.filter(pk=subscription.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    subscription.refresh_from_db(fields=["consecutive_failures", "failing_since"])
    limit = int(getattr(settings, "CIVICGRID_WEBHOOK_DISABLE_AFTER_FAILURES", 20))
    days = int(getattr(settings, "CIVICGRID_WEBHOOK_DISABLE_AFTER_DAYS", 3))
    if subscription.consecutive_failures >= limit:
        webhook_subscription_disable(
            subscription=subscription, reason=f"连续 {subscription.consecutive_failures} 次投递失败"
        )
    elif subscription.failing_since and subscription.failing_since <= now - timedelta(days=days):
        webhook_subscription_disable(subscription=subscription, reason=f"持续 {days} 天投递失败")


def release(deliveries: list[WebhookDelivery]) -> None:
    for delivery in deliveries:
        WebhookDelivery.objects.filter(pk=delivery.pk, claimed_at=delivery.claimed_at).update(claimed_at=None)


def run_once(now: datetime | None = None) -> int:
    """One pass of the worker (periodic task `webhooks.deliver`): returns how many it tried."""
    batch = claim_due(now=now)
    deadline = time.monotonic() + RUN_SECONDS
    done = 0
    disabled: set[int] = set()
    for index, delivery in enumerate(batch):
        if time.monotonic() > deadline:
            release(batch[index:])
            break
        if delivery.subscription_id in disabled:  # disabled by an earlier delivery of this pass
            release([delivery])
            continue
        deliver(delivery, now=now)
        done += 1
        if not delivery.subscription.is_active:
            disabled.add(delivery.subscription_id)
    return done
