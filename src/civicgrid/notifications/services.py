"""Writes for notifications: queue one (`notify`), read one, and the worker's outbox loop.

The outbox needs no broker. `notify` writes a row in the caller's transaction; `civicgrid worker`
calls `run_once` every few seconds, which claims due rows with a conditional UPDATE (one worker
per row, on SQLite and PostgreSQL alike), hands each to its senders and records the outcome:
sent, or retried later with exponential backoff, or given up after MAX_ATTEMPTS.

Delivery is at least once: a worker killed between a sender's success and the row update sends
that channel again after the lease. The webhook carries the row id so a receiver can drop repeats.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role, is_staff_member
from civicgrid.core import clock
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.core.rawsql import ModelLookup
from civicgrid.notifications.choices import SETTABLE_KINDS, NotificationKind
from civicgrid.notifications.models import Notification, NotificationPreference
from civicgrid.notifications.senders import Sender, SmsSender, default_channels, get_senders

logger = logging.getLogger("civicgrid.notifications")

MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
BATCH_SIZE = 100
DEFAULT_LEASE_SECONDS = 300
TITLE_MAX = Notification._meta.get_field("title").max_length
DEDUPE_MAX = Notification._meta.get_field("dedupe_key").max_length
ERROR_MAX = 4000


# --- queueing and reading --------------------------------------------------------------------


def notify(
    *,
    recipient: User | None,
    kind: str,
    title: str,
    body: str,
    case_id: int | None = None,
    link: str = "",
    channels: Sequence[str] | None = None,
    dedupe_key: str | None = None,
    phone: str = "",
) -> Notification | None:
    """Queue a notification; call it inside the transaction of the change it announces.

    `channels=None` delivers through every configured sender; `[]` is in-app only (the row is
    processed at once and the worker never sees it). A `dedupe_key` that is already queued (e.g.
    "overdue:<case>:<step>") makes this a no-op returning None.
    """
    if dedupe_key is not None and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    if not wanted(recipient, kind):
        return None  # the person turned this kind off entirely
    notification = notification_draft(
        recipient=recipient,
        kind=kind,
        title=title,
        body=body,
        case_id=case_id,
        link=link,
        channels=channels,
        dedupe_key=dedupe_key,
        phone=phone,
    )
    if dedupe_key is None:
        notification.save(force_insert=True)
        return notification
    # A concurrent transaction may queue the same key between the check above and this insert;
    # the savepoint keeps the caller's transaction usable when the unique index refuses ours.
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        if Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    return notification


def notify_administrators(*, key: str, title: str, body: str) -> None:
    """A security alert (accounts.security) to every active administrator, once per key and person."""
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True).only("pk"):
        notify(
            recipient=admin,
            kind=NotificationKind.SECURITY_ALERT,
            title=title,
            body=body,
            dedupe_key=f"security:{key}:{admin.pk}"[:DEDUPE_MAX],
        )


def notification_draft(
    *,
    recipient: User | None,
    kind: str,
    title: str,
    body: str,
    case_id: int | None = None,
    link: str = "",
    channels: Sequence[str] | None = None,
    dedupe_key: str | None = None,
    phone: str = "",
) -> Notification:
    """The row `notify` writes, unsaved: for a caller that writes it with its own statement (the intake)."""
    now = clock.now()
    channels = default_channels() if channels is None else list(channels)
    preference = preference_of(recipient, kind)
    if preference is not None:
        channels = [c for c in channels if c != "sms"] + (["sms"] if preference.sms else [])
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    return Notification(
        recipient=recipient,
        kind=kind,
        title=title,
        body=body,
        case_id=case_id,
        link=link,
        phone=phone,
        channels=channels,
        dedupe_key=dedupe_key,
        created_at=now,
        next_attempt_at=now,
        processed_at=None if channels else now,
        # Not wanted in the inbox (SMS only): written read, so it never counts as unread.
        read_at=now if preference is not None and not preference.in_app else None,
    )


# --- preferences (通知设置) ---------------------------------------------------------------------------


def preference_of(recipient: User | None, kind: str) -> NotificationPreference | None:
    """The person's saved setting for a settable kind, or None: then the installation's channels
    (CIVICGRID_NOTIFICATION_SENDERS) apply, in the inbox too. None as well for a kind nobody sets
    (security alerts) and for a message without an account (a caller's SMS)."""
    if recipient is None or kind not in SETTABLE_KINDS:
        return None
    # Read for every report's receipt: one prepared statement, the same as
    # NotificationPreference.objects.filter(user=recipient, kind=kind).first() (one row at most: unique).
    found = _preference_lookup().fetch(recipient.pk, kind)
    return found[0] if found else None


@functools.cache
def _preference_lookup() -> ModelLookup:
    return ModelLookup(NotificationPreference, ["user", "kind"])


def wanted(recipient: User | None, kind: str) -> bool:
    preference = preference_of(recipient, kind)
    return preference is None or preference.in_app or preference.sms


def settable_kinds_for(user: User) -> list[str]:
    """The kinds this person may set: a citizen's, or staff's (the ones of their work)."""
    audiences = {"staff", "everyone"} if is_staff_member(user) else {"citizen", "everyone"}
    return [kind for kind, (_label, audience) in SETTABLE_KINDS.items() if audience in audiences]


def preferences_for(user: User) -> list[NotificationPreference]:
    """One setting per settable kind (saved, or what applies without one), in the order of SETTABLE_KINDS."""
    saved = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    sms_by_default = "sms" in default_channels()
    return [
        saved.get(kind) or NotificationPreference(user=user, kind=kind, in_app=True, sms=sms_by_default)
        for kind in settable_kinds_for(user)
    ]


def preference_rows(user: User) -> list[dict]:
    """What a settings page lists: each settable kind with its label and current channels."""
    return [
        {"kind": p.kind, "label": SETTABLE_KINDS[p.kind][0], "in_app": p.in_app, "sms": p.sms}
        for p in preferences_for(user)
    ]


def preferences_from_form(user: User, data) -> dict[str, dict[str, bool]]:
    """A settings form's checkboxes (`in_app:<kind>`, `sms:<kind>`) as `notification_preferences_set`
    takes them; a kind the form does not list keeps its setting, an unknown one is refused there."""
    kinds = {key.split(":", 1)[1] for key in data if key.startswith(("in_app:", "sms:", "kind:"))}
    return {kind: {"in_app": f"in_app:{kind}" in data, "sms": f"sms:{kind}" in data} for kind in kinds}


@transaction.atomic
def notification_preferences_set(*, user: User, choices: dict[str, dict[str, bool]]) -> int:
    """Save a person's settings: {kind: {"in_app": bool, "sms": bool}}. An unknown kind is refused
    (400) and nothing is saved. SMS needs a phone number on the account. Returns how many were saved."""
    allowed = set(settable_kinds_for(user))
    unknown = sorted(set(choices) - allowed)
    if unknown:
        raise DomainError(
            "kind_invalid",
            f"未知的通知类型：{'、'.join(unknown)}",
            f"unknown kinds: {', '.join(unknown)}",
            field="kind",
        )
    if any(c.get("sms") for c in choices.values()) and not user.phone:
        raise DomainError(
            "phone_required",
            "账号没有手机号，不能接收短信",
            "the account has no phone number for SMS",
            field="sms",
        )
    for kind, c in choices.items():
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"in_app": bool(c.get("in_app")), "sms": bool(c.get("sms"))}
        )
    return len(choices)


@transaction.atomic
def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark a notification read for its recipient (idempotent: the first read time is kept).

    Anyone else gets 404, not 403: another person's notifications do not exist for them.
    """
    if notification.recipient_id is None or notification.recipient_id != user.pk:
        raise NotFound("notification_not_found", "通知不存在", "no such notification")
    if notification.read_at is None:
        now = clock.now()
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
        else:  # read a moment ago in another tab
            notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_mark_case_read(*, user: User, case_id: int) -> int:
    """Opening a case reads what `user` was told about it: their unread notifications of that case
    are marked read (nobody else's); returns how many changed. One UPDATE (atomic by itself)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.for_user(user).unread().filter(case_id=case_id).update(read_at=clock.now())


def notifications_settle(*, case_id: int, kinds: Sequence[str], users: Sequence[User] | None = None) -> int:
    """Mark read the unread notifications of these kinds about a case (of `users`, or everybody's):
    what they asked for has been done (a dispatched case accepted by a colleague). One UPDATE."""
    rows = Notification.objects.unread().filter(case_id=case_id, kind__in=list(kinds))
    if users is not None:
        rows = rows.filter(recipient__in=[u.pk for u in users])
    return rows.update(read_at=clock.now())


@transaction.atomic
def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of `user` read; returns how many changed."""
    return Notification.objects.for_user(user).unread().update(read_at=clock.now())


# --- the worker ------------------------------------------------------------------------------


def lease() -> timedelta:
    """How long a claim holds; after that a row claimed by a dead worker is claimable again."""
    return timedelta(seconds=getattr(settings, "CIVICGRID_WORKER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1 min, 2, 4, … capped at 1 h."""
    return min(BACKOFF_FIRST * 2 ** min(max(attempts - 1, 0), 16), BACKOFF_CAP)


def claim_due(limit: int = BATCH_SIZE, now: datetime | None = None) -> list[Notification]:
    """Claim up to `limit` due rows for this worker; no other worker gets the same row.

    Each row is taken by `UPDATE … SET claimed_at = now WHERE id = ? AND processed_at IS NULL
    AND next_attempt_at <= now AND (claimed_at IS NULL OR claimed_at < now - lease)`; a row
    counts as ours only when that UPDATE changed it. On SQLite the transaction takes the write
    lock up front (BEGIN IMMEDIATE), so a second worker waits and then sees our claims; on
    PostgreSQL its UPDATE waits for our row lock and re-checks the WHERE, which then fails.
    """
    now = now or clock.now()
    stale_before = now - lease()
    with transaction.atomic():
        candidates = list(
            Notification.objects.due(now)
            .claimable(stale_before)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        claimed = [pk for pk in candidates if _try_claim(pk, now=now, stale_before=stale_before)]
    if not claimed:
        return []
    return list(
        Notification.objects.filter(pk__in=claimed)
        .select_related("recipient")
        .order_by("next_attempt_at", "id")
    )


def _try_claim(pk: int, *, now: datetime, stale_before: datetime) -> bool:
    """The conditional UPDATE: true only if this call changed the row (nobody else holds it)."""
    return bool(Notification.objects.filter(pk=pk).due(now).claimable(stale_before).update(claimed_at=now))


def release(notifications: Iterable[Notification]) -> int:
    """Give back claimed rows this worker will not deliver (stopping, or its lease running out)."""
    released = 0
    for notification in notifications:
        released += Notification.objects.filter(
            pk=notification.pk, claimed_at=notification.claimed_at, processed_at__isnull=True
        ).update(claimed_at=None)
        notification.claimed_at = None
    return released


def deliver(
    notification: Notification, *, now: datetime | None = None, senders: dict[str, Sender] | None = None
) -> bool:
    """Send a claimed row through each of its channels not yet sent, and record the outcome.

    All channels accepted → processed. Otherwise attempts+1, the errors in `last_error`, the
    next try after `backoff(attempts)` and the claim released; the MAX_ATTEMPTS-th failure gives
    up (processed, error kept). Channels that succeeded are remembered and not sent again.
    Returns whether the notification is now fully delivered.
    """
    senders = get_senders() if senders is None else senders
    sent = list(notification.sent_channels)
    errors: list[str] = []
    for name in notification.channels:
        if name in sent:
            continue
        sender = senders.get(name) or (SmsSender() if name == "sms" else None)  # the platform's SMS path
        try:
            if sender is None:
                raise LookupError(f"no sender named {name!r} in CIVICGRID_NOTIFICATION_SENDERS")
            sender.send(notification)
        except Exception as exc:  # a channel's failure of any kind is retried; the others go on
            logger.warning("notification %s: %s failed: %s", notification.pk, name, exc)
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
        else:
            sent.append(name)

    now = now or clock.now()
    attempts = notification.attempts + 1
    fields: dict[str, object] = {"attempts": attempts, "sent_channels": sent, "claimed_at": None}
    if not errors:
        fields.update(processed_at=now, last_error="")
    else:
        last_error = "\n".join(errors)[:ERROR_MAX]
        fields["last_error"] = last_error
        if attempts >= MAX_ATTEMPTS:
            fields["processed_at"] = now
            logger.error(
                "notification %s: giving up after %s attempts: %s", notification.pk, attempts, last_error
            )
        else:
            fields["next_attempt_at"] = now + backoff(attempts)
    Notification.objects.filter(pk=notification.pk, processed_at__isnull=True).update(**fields)
    for field, value in fields.items():
        setattr(notification, field, value)
    return not errors


def run_once(
    now: datetime | None = None, *, limit: int = BATCH_SIZE, should_stop: Callable[[], bool] | None = None
) -> int:
    """One batch of due notifications (`civicgrid worker` runs the periodic tasks before it).

    Returns how many notifications it tried to deliver. A batch stops early, giving the rest of
    its claims back, when `should_stop()` says so (SIGTERM) or half the lease has gone by, so a
    slow channel never lets a claim expire under a worker that is still using it.
    """
    senders = get_senders()  # before claiming: a bad configuration must not strand claimed rows
    batch = claim_due(limit=limit, now=now)
    deadline = time.monotonic() + lease().total_seconds() / 2
    done = 0
    for index, notification in enumerate(batch):
        if (should_stop is not None and should_stop()) or time.monotonic() > deadline:
            release(batch[index:])
            break
        deliver(notification, now=now, senders=senders)
        done += 1
    return done
