"""What an erasure of personal data masks in cases (registered with accounts.services.personal_data_eraser).

The person's own words and contact details go; the case and its history stay: who acted (the
anonymised account), when, what and from which status to which. What a case reports — the
description, the place, the photos — is the city's record of a public matter and is kept.
"""

from __future__ import annotations

from django.db.models import Q

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core.masking import ERASED


def erase_personal_data(*, person, phone: str) -> dict[str, int]:
    """Mask the contact fields of the cases the person reported (or that name their phone: hotline),
    their rating comments, and the notes of the events they acted in. Runs under an erasure permit."""
    contact = (
        Case.objects.filter(Q(reporter=person) | Q(contact_phone=phone))
        .exclude(contact_name="", contact_phone="")
        .update(contact_name="", contact_phone="")
    )
    comments = Case.objects.filter(reporter=person).exclude(rating_comment="").update(rating_comment=ERASED)
    notes = CaseEvent.objects.filter(actor=person).exclude(note="").update(note=ERASED)
    return {
        "cases.Case.contact": contact,
        "cases.Case.rating_comment": comments,
        "cases.CaseEvent.note": notes,
    }
