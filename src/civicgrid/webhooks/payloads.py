"""What a delivery says about a case: the case as the subscribing client's account may see it.

The rules are the case loop's own (cases.access, and the API's summary in cases.api), read as the
client's account; personal data (the reporter's name, the contact phone) only for a client with the
scope `cases:read:personal` whose account may see it.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from civicgrid.accounts.models import ApiClient
from civicgrid.accounts.scopes import Scope
from civicgrid.cases.access import contact_phone_for, event_note_for, reporter_name, sees_personal_data
from civicgrid.cases.api import summary_out
from civicgrid.cases.intake import external_key
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent
from civicgrid.core import clock


def _absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url if url.startswith("/") else url


def reported_by(client: ApiClient, case: Case) -> bool:
    """Whether this client reported the case under its own id (the key is namespaced by client)."""
    key = external_key(external_id="", client_id=client.pk, user_id=client.user_id)
    return (case.idempotency_key or "").startswith(key)


def case_data(client: ApiClient, case: Case, now: datetime) -> dict:
    viewer = client.user
    data = summary_out(case, now, viewer)
    data["community"] = case.community.name if case.community_id else None
    data["street_code"] = case.street.code if case.street_id else None
    data["photos"] = [_absolute(p.public.url) for p in case.photos.order_by("id") if p.public]
    # The system that reported the case (a 12345 order) finds it again by its own id; nobody else gets it.
    data["external_id"] = (case.external_id or None) if reported_by(client, case) else None
    if client.has_scope(Scope.CASES_READ_PERSONAL) and sees_personal_data(viewer, case):
        data["reporter"] = reporter_name(viewer, case)
        data["contact_phone"] = contact_phone_for(viewer, case)
    return data


def payload_for_event(client: ApiClient, event_type: str, case: Case, event: CaseEvent) -> dict:
    now = clock.now()
    data = case_data(client, case, now)
    data["event"] = {
        "action": event.action,
        "department": event.department.code if event.department_id else None,
        "note": event_note_for(client.user, event),
        "at": event.created_at,
    }
    return as_json({"type": event_type, "timestamp": now, "data": data})


def payload_for_overdue(client: ApiClient, case: Case, deadline: CaseDeadline) -> dict:
    now = clock.now()
    data = case_data(client, case, now)
    data["event"] = {"action": "overdue", "step": deadline.step, "due_at": deadline.due_at, "at": now}
    return as_json({"type": "case.overdue", "timestamp": now, "data": data})


def payload_for_test(client: ApiClient) -> dict:
    now = clock.now()
    return as_json({"type": "webhook.test", "timestamp": now, "data": {"client": client.name}})


def as_json(value: dict) -> dict:
    """Dates as ISO 8601 strings, decimals as strings: what is stored is exactly what is sent."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def body_of(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
