"""What an erasure of personal data masks in points (registered with accounts.services.personal_data_eraser).

The ledger stays whole — every entry, its amount, reason, source and time, so balances and
rankings do not move; the free text written about the person in their entries and their own
appeals is masked.
"""

from __future__ import annotations

from civicgrid.core.masking import ERASED
from civicgrid.points.models import Appeal, PointsEntry


def erase_personal_data(*, person, phone: str) -> dict[str, int]:
    """Mask the notes of the person's ledger entries and the reasons of their appeals (erasure permit)."""
    notes = PointsEntry.objects.filter(person=person).exclude(note="").update(note=ERASED)
    appeals = Appeal.objects.filter(record__person=person).exclude(reason="").update(reason=ERASED)
    return {"points.PointsEntry.note": notes, "points.Appeal.reason": appeals}
