"""Reading the API call log (API 调用日志): who may see which calls, and the search filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from civicgrid.accounts.clients import clients_managed_by, may_manage_clients
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.audit.models import ApiCall

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


def may_read_api_calls(user) -> bool:
    """The auditors and administrators (every call), department admins (their clients' calls)."""
    return user_can(user, Capability.AUDIT_VIEW) or may_manage_clients(user)


def api_calls_visible_to(user) -> QuerySet[ApiCall]:
    if user_can(user, Capability.AUDIT_VIEW):
        return ApiCall.objects.all()
    if may_manage_clients(user):
        return ApiCall.objects.filter(client__in=clients_managed_by(user))
    return ApiCall.objects.none()


@dataclass(frozen=True)
class ApiCallFilter:
    client: int | None = None
    endpoint: str = ""
    status: str = ""  # "2xx".."5xx" or an exact code
    case_number: str = ""
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return any((self.client, self.endpoint, self.status, self.case_number, self.since, self.until))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def api_calls_search(calls: QuerySet[ApiCall], f: ApiCallFilter) -> QuerySet[ApiCall]:
    """The calls matching every given filter, newest first."""
    if f.client:
        calls = calls.filter(client_id=f.client)
    if f.endpoint:
        calls = calls.filter(endpoint__icontains=f.endpoint)
    if f.status in STATUS_CLASSES:
        low = int(f.status[0]) * 100
        calls = calls.filter(status__gte=low, status__lt=low + 100)
    elif f.status.isdigit() and len(f.status) == 3:
        calls = calls.filter(status=int(f.status))
    if f.case_number:
        calls = calls.filter(case_number=f.case_number)
    if f.since:
        calls = calls.filter(at__gte=_day_start(f.since))
    if f.until:
        calls = calls.filter(at__lt=_day_start(f.until + timedelta(days=1)))
    return calls.select_related("client").order_by("-at", "-id")
