"""The part of the taxonomy every report reads — active categories and time limits — kept per process.

An intake needs its category (by code) and the 立案 time limit; reading them from the database
costs two queries and more Python than the rest of the intake's reads together. The snapshot is
loaded once per process and reloaded when `TaxonomyRevision` moves (core/processcopy.py, as the
grid index); a process looks at the revision at most every CIVICGRID_GRID_RECHECK_SECONDS,
so an admin's change reaches every server within that many seconds, and this process at once.

Every save or delete of a Category or TimeLimit bumps the revision (signals, below); code that
writes them in bulk calls `taxonomy_changed()` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F
from django.db.models.signals import post_delete, post_save

from civicgrid.core.processcopy import ProcessCopy
from civicgrid.taxonomy.models import Category, TaxonomyRevision, TimeLimit


@dataclass(frozen=True)
class TaxonomySnapshot:
    revision: int
    by_code: dict[str, list[Category]]  # active categories by code (a code may be a component and a matter)
    limits: dict[tuple[int | None, str, str], tuple[Decimal, str]]  # (category id | None, step, urgency)

    def categories(self, code: str, kind: str = "") -> list[Category]:
        found = self.by_code.get(code, [])
        return [c for c in found if c.kind == kind] if kind else list(found)

    def limit(self, category_id: int | None, step: str, urgency: str) -> tuple[Decimal, str] | None:
        """The category's own limit, else the row for every category, else None."""
        if category_id is not None:
            row = self.limits.get((category_id, step, urgency))
            if row is not None:
                return row
        return self.limits.get((None, step, urgency))


def current_revision() -> int:
    return int(TaxonomyRevision.objects.filter(pk=1).values_list("revision", flat=True).first() or 0)


def _load(revision: int) -> TaxonomySnapshot:
    by_code: dict[str, list[Category]] = {}
    for category in Category.objects.active().order_by("kind", "code"):
        by_code.setdefault(category.code, []).append(category)
    limits = {
        (category_id, step, urgency): (Decimal(hours), unit)
        for category_id, step, urgency, hours, unit in TimeLimit.objects.order_by().values_list(
            "category_id", "step", "urgency", "hours", "unit"
        )
    }
    return TaxonomySnapshot(revision=revision, by_code=by_code, limits=limits)


_copy: ProcessCopy[TaxonomySnapshot] = ProcessCopy(load=_load, current_revision=current_revision)
# This process's copy, reloaded if the revision moved since it was loaded.
get_snapshot = _copy.get
# Forget the copy in this process (after a change here, and between tests).
invalidate = _copy.invalidate


def taxonomy_changed() -> None:
    """Tell every process that categories or time limits changed (inside the changing transaction)."""
    if not TaxonomyRevision.objects.filter(pk=1).update(revision=F("revision") + 1):
        TaxonomyRevision.objects.get_or_create(pk=1, defaults={"revision": 1})
    invalidate()


def _on_change(sender, **kwargs) -> None:
    if kwargs.get("raw"):
        return  # fixtures being loaded: the tables are not in use yet
    taxonomy_changed()


for _model in (Category, TimeLimit):
    post_save.connect(_on_change, sender=_model, dispatch_uid=f"taxonomy-cache-{_model.__name__}-save")
    post_delete.connect(_on_change, sender=_model, dispatch_uid=f"taxonomy-cache-{_model.__name__}-delete")
