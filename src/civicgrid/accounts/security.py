"""Security alerts: one call writes a warning to the logger `civicgrid.security` and tells the listeners.

Accounts knows no app above it, so the apps that deliver alerts (notifications: every active
administrator) register a listener from their `AppConfig.ready`. A listener is called as
`listener(key=…, title=…, body=…)` inside the caller's transaction; `key` is stable for one event
(e.g. "sms-budget:2026-12-07:80") so that a listener may drop repeats.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger("civicgrid.security")

ALERT_LISTENERS: list[Callable[..., None]] = []


def alert_listener(listener: Callable[..., None]) -> Callable[..., None]:
    if listener not in ALERT_LISTENERS:
        ALERT_LISTENERS.append(listener)
    return listener


def security_alert(*, key: str, title: str, body: str) -> None:
    """Log a security event as a warning and hand it to every listener (a failing listener is logged)."""
    logger.warning("%s: %s [%s]", title, body, key)
    for listener in ALERT_LISTENERS:
        try:
            listener(key=key, title=title, body=body)
        except Exception:
            logger.exception("security alert listener %r failed for %s", listener, key)
