"""SMS senders for login codes (短信验证码).

`CIVICGRID_SMS_SENDER` names the class (dotted path) that hands a text to the city's SMS
gateway. A sender has one method, `send_text(phone, text)`, which returns once the gateway
accepted the message and raises on failure — the same method as
`civicgrid.notifications.senders.SmsSender`, so one gateway class can serve both.

The default writes the text to the logger `civicgrid.sms` (a demo or a closed test network has
no gateway: the code is read from the server log). Tests select `MemorySmsSender` with the
settings fixture and read the code from its outbox.
"""

from __future__ import annotations

import logging
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from civicgrid.core.masking import mask_phone

logger = logging.getLogger("civicgrid.sms")

DEFAULT_SMS_SENDER = "civicgrid.accounts.sms.LogSmsSender"


@runtime_checkable
class SmsTextSender(Protocol):
    def send_text(self, phone: str, text: str) -> None:
        """Hand `text` to the gateway for `phone`; raise on failure."""


class LogSmsSender:
    """Writes the message to the server log instead of sending it (the default)."""

    def send_text(self, phone: str, text: str) -> None:
        logger.info("%s (to %s)", text, mask_phone(phone))


class MemorySmsSender:
    """Keeps the messages in memory (`MemorySmsSender.outbox`), for tests."""

    outbox: list[tuple[str, str]] = []

    def send_text(self, phone: str, text: str) -> None:
        type(self).outbox.append((phone, text))

    @classmethod
    def last_text_to(cls, phone: str) -> str | None:
        for to, text in reversed(cls.outbox):
            if to == phone:
                return text
        return None


class FailingSmsSender:
    """A gateway that is down (for tests of the error path)."""

    def send_text(self, phone: str, text: str) -> None:
        raise OSError("SMS gateway unreachable")


def get_sms_sender() -> SmsTextSender:
    path = getattr(settings, "CIVICGRID_SMS_SENDER", "") or DEFAULT_SMS_SENDER
    try:
        obj = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"CIVICGRID_SMS_SENDER: cannot import {path!r}") from exc
    sender = obj() if isinstance(obj, type) else obj
    if not callable(getattr(sender, "send_text", None)):
        raise ImproperlyConfigured(f"CIVICGRID_SMS_SENDER: {path!r} has no send_text(phone, text)")
    return sender
