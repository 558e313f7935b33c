"""Notifications API: my notifications (newest first, with the unread count) and marking read."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q
from ninja import Field, Query, Router, Schema

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.scopes import Scope
from civicgrid.core.errors import NotFound
from civicgrid.core.paging import Offset
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import notification_mark_all_read, notification_mark_read

router = Router(tags=["notifications"], auth=AUTH)


class NotificationListIn(Schema):
    limit: int = Field(20, ge=1, le=100)
    offset: Offset = 0


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    case_id: int | None
    link: str
    created_at: datetime
    read_at: datetime | None


class NotificationListOut(Schema):
    count: int
    unread: int
    items: list[NotificationOut]


class MarkAllReadOut(Schema):
    marked: int


@router.get("/", response=NotificationListOut)
@api_scope(Scope.NOTIFICATIONS_USE)
def notification_list(request, params: Query[NotificationListIn]):
    """My notifications, newest first (`limit`/`offset`), with the total and unread counts. Two queries."""
    mine = Notification.objects.for_user(request.auth)
    totals = mine.aggregate(count=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True)))
    items = mine.order_by("-created_at", "-id")[params.offset : params.offset + params.limit]
    return NotificationListOut(
        count=totals["count"], unread=totals["unread"], items=[NotificationOut.from_orm(n) for n in items]
    )


@router.post("/read-all", response=MarkAllReadOut)
@api_scope(Scope.NOTIFICATIONS_USE)
def notification_read_all(request):
    """Mark all my notifications read."""
    return MarkAllReadOut(marked=notification_mark_all_read(user=request.auth))


@router.post("/{int:notification_id}/read", response=NotificationOut)
@api_scope(Scope.NOTIFICATIONS_USE)
def notification_read(request, notification_id: int):
    """Mark one of my notifications read (404 for anyone else's)."""
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        raise NotFound("notification_not_found", "通知不存在", "no such notification")
    return notification_mark_read(notification=notification, user=request.auth)
