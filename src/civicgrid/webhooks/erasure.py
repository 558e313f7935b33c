"""Erasure (个人信息删除): the personal data a delivery's payload holds is masked with the person's."""

from __future__ import annotations

from django.db.models import Q

from civicgrid.cases.models import Case
from civicgrid.webhooks.models import WebhookDelivery

PERSONAL_FIELDS = ("reporter", "contact_phone")


def erase_personal_data(*, person, phone: str) -> dict[str, int]:
    """Mask the reporter's name and phone in the payloads about the person's reports (or naming their
    phone: a hotline call). What the case reports stays, as in cases.erasure."""
    numbers = list(Case.objects.filter(reporter=person).exclude(number=None).values_list("number", flat=True))
    which = Q(case_number__in=numbers) if numbers else Q(pk__in=[])
    if phone:
        which |= Q(payload__data__contact_phone=phone)
    masked = 0
    for delivery in WebhookDelivery.objects.filter(which).only("pk", "payload"):
        data = delivery.payload.get("data") or {}
        if not any(data.get(field) for field in PERSONAL_FIELDS):
            continue
        for field in PERSONAL_FIELDS:
            if field in data:
                data[field] = ""
        delivery.save(update_fields=["payload"])
        masked += 1
    return {"webhooks.WebhookDelivery.payload": masked}
