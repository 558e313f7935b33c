"""The negative list (负面清单): serious incidents recorded in a round with their evidence. Each deducts its
negative item's points, at most the item's cap in all (`scoring.py`); the street and the unit named carry
the deduction in their own scores too."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.core.errors import DomainError, PermissionDenied
from civicgrid.core.text import text_check
from civicgrid.evaluation.models import NegativeIncident, NegativeItem, Round
from civicgrid.grids.models import Street


def incident_record(
    *,
    round: Round,
    item: NegativeItem,
    occurred_on: date,
    description: str,
    actor: User,
    street: Street | None = None,
    unit: Department | None = None,
    evidence=None,
) -> NegativeIncident:
    """Record a negative-list incident of a round (督查员 or administrator)."""
    if not (user_can(actor, Capability.INSPECT) or user_can(actor, Capability.CONFIGURE)):
        raise PermissionDenied(
            "negative_denied",
            "只有督查员或管理员可以登记负面清单事件",
            "only inspectors and administrators record incidents",
        )
    if item.edition_id != round.edition_id:
        raise DomainError(
            "negative_wrong_edition",
            "该负面清单项不属于本轮次使用的测评体系",
            "the negative item is not of the edition this round uses",
            field="item",
        )
    if not (round.starts_on <= occurred_on <= round.ends_on):
        raise DomainError(
            "negative_outside_round",
            f"发生日期须在测评期内（{round.starts_on:%Y-%m-%d} 至 {round.ends_on:%Y-%m-%d}）",
            f"the incident must fall within the round ({round.starts_on} to {round.ends_on})",
            field="occurred_on",
        )
    description = text_check(description, field="description", max_length=500, required=True)
    with transaction.atomic():
        return NegativeIncident.objects.create(
            round=round,
            item=item,
            street=street,
            unit=unit,
            occurred_on=occurred_on,
            description=description,
            evidence=evidence or "",
            recorded_by=actor,
        )
