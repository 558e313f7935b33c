"""Reads of the notification outbox."""

from __future__ import annotations

from datetime import datetime

from civicgrid.notifications.models import Notification


def outbox_backlog(now: datetime) -> tuple[int, float]:
    """(messages not yet delivered or given up, seconds the oldest of them has waited; 0 if none)."""
    pending = Notification.objects.pending()
    count = pending.count()
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return count, (0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()))
