"""Senders: the channels a notification goes out through (log, SMS, a department's webhook).

A sender has a `name` (what `Notification.channels` lists) and `send(notification)`, which
returns when the channel accepted the message and raises on any failure; the worker then
retries with backoff. `CIVICGRID_NOTIFICATION_SENDERS` lists the dotted paths of the senders
this installation uses; `SmsSender` goes through the SMS gateway set in CIVICGRID_SMS_SENDER.
"""

from __future__ import annotations

import functools
import json
import logging
import urllib.request
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from civicgrid import __version__
from civicgrid.accounts import smsguard
from civicgrid.accounts.sms import get_sms_sender
from civicgrid.core.masking import mask_phone

if TYPE_CHECKING:
    from civicgrid.notifications.models import Notification

logger = logging.getLogger("civicgrid.notifications")

WEBHOOK_TIMEOUT_SECONDS = 5


@runtime_checkable
class Sender(Protocol):
    name: str

    def send(self, notification: Notification) -> None:
        """Deliver the notification; raise on failure (the worker retries)."""


def recipient_label(notification: Notification) -> str:
    """Who a message is for, safe to write to a log: `user 7 139****0001`, never the full number."""
    recipient = notification.recipient
    if recipient is None:
        return f"phone {mask_phone(notification.phone)}" if notification.phone else "department/webhook"
    return f"user {recipient.pk} {mask_phone(recipient.phone)}"


def absolute_link(link: str) -> str:
    """A link as a full URL for messages read outside the site (SMS, a bureau's system)."""
    if link.startswith("/"):
        return settings.SITE_URL.rstrip("/") + link
    return link


class LogSender:
    """Writes one INFO line per notification to the server log (the default: no gateway needed)."""

    name = "log"

    def send(self, notification: Notification) -> None:
        logger.info(
            "notification %s [%s] to %s: %s",
            notification.pk,
            notification.kind,
            recipient_label(notification),
            notification.title,
        )


class SmsSender:
    """Base for an SMS gateway. Override `send_text`; by default the text goes to the server log.

    A message without a recipient (department/webhook-only) cannot go by SMS: that raises, and
    the row ends up failed with the reason in `last_error`.
    """

    name = "sms"
    max_length = 300

    def send(self, notification: Notification) -> None:
        recipient = notification.recipient
        phone = recipient.phone if recipient is not None and recipient.phone else notification.phone
        if not phone:
            raise ValueError("an SMS needs a recipient with a phone number")
        self.send_text(phone, self.text_of(notification))

    def text_of(self, notification: Notification) -> str:
        text = notification.title
        if notification.body:
            text += "：" + notification.body
        if len(text) > self.max_length:
            text = text[: self.max_length - 1] + "…"
        if notification.link:
            text += " " + absolute_link(notification.link)
        return text

    def send_text(self, phone: str, text: str) -> None:
        """Hand the text to the gateway; raise on failure. The base class uses the platform's SMS
        sender, CIVICGRID_SMS_SENDER (accounts/smsgateways.py; by default it writes to the log), within
        the day's SMS budget (a message over it fails, and the worker tries it again later)."""
        smsguard.budget_take()
        get_sms_sender().send_text(phone, text)


class WebhookSender:
    """POSTs the notification as JSON to `CIVICGRID_WEBHOOK_URL` (a bureau's own system).

    The `X-Civicgrid-Notification` header carries the row id: a retry after a lost response
    sends the same id again, so the receiver can drop duplicates.
    """

    name = "webhook"

    def payload(self, notification: Notification) -> dict[str, object]:
        return {
            "id": notification.pk,
            "kind": notification.kind,
            "title": notification.title,
            "body": notification.body,
            "case_id": notification.case_id,
            "link": notification.link,
            "url": absolute_link(notification.link) if notification.link else "",
            "recipient_id": notification.recipient_id,
            "created_at": notification.created_at.isoformat(),
        }

    def send(self, notification: Notification) -> None:
        url = getattr(settings, "CIVICGRID_WEBHOOK_URL", "")
        if not url:
            raise ImproperlyConfigured("CIVICGRID_WEBHOOK_URL is not set")
        request = urllib.request.Request(
            url,
            data=json.dumps(self.payload(notification), ensure_ascii=False).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": f"civicgrid/{__version__}",
                "X-Civicgrid-Notification": str(notification.pk),
            },
        )
        # urlopen raises HTTPError for 4xx/5xx; a 1xx/3xx that reaches us is no acceptance either.
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            if not 200 <= response.status < 300:
                raise OSError(f"webhook answered HTTP {response.status}")


def _build(path: str) -> Sender:
    try:
        obj = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"CIVICGRID_NOTIFICATION_SENDERS: cannot import {path!r}") from exc
    sender = obj() if isinstance(obj, type) else obj
    if not isinstance(sender, Sender) or not getattr(sender, "name", ""):
        raise ImproperlyConfigured(f"CIVICGRID_NOTIFICATION_SENDERS: {path!r} has no `name` and `send()`")
    return sender


def get_senders() -> dict[str, Sender]:
    """The configured senders by name, in the order of CIVICGRID_NOTIFICATION_SENDERS."""
    return dict(_senders_for(tuple(getattr(settings, "CIVICGRID_NOTIFICATION_SENDERS", []))))


@functools.lru_cache(maxsize=8)
def _senders_for(paths: tuple[str, ...]) -> dict[str, Sender]:
    # Built once per configuration: notify() runs inside every move and must not import classes each time.
    senders: dict[str, Sender] = {}
    for path in paths:
        sender = _build(path)
        if sender.name in senders:
            raise ImproperlyConfigured(
                f"CIVICGRID_NOTIFICATION_SENDERS: two senders are named {sender.name!r}"
            )
        senders[sender.name] = sender
    return senders


def default_channels() -> list[str]:
    """What `notify(channels=None)` delivers through: every configured sender."""
    return list(get_senders())
