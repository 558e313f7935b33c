"""Reads over the taxonomy shared by the API, the H5 pages and the console."""

from __future__ import annotations

from django.db.models import Q

from civicgrid.core.errors import DomainError
from civicgrid.taxonomy.cache import get_snapshot
from civicgrid.taxonomy.models import Category


def category_by_code(raw: str | None) -> Category | None:
    """`06010`, `matter:06010` or `component:01003` → the active category; None for an empty value.

    Components and matters share codes, so a bare code that is both is refused as ambiguous, and an
    unknown code is refused too — never silently taken as "no category".
    """
    if not raw or not raw.strip():
        return None
    kind, _, code = raw.strip().rpartition(":")
    matches = get_snapshot().categories(code, kind)
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise DomainError(
            "category_ambiguous",
            f"编码 {code} 同时是部件和事项，请写成 matter:{code} 或 component:{code}",
            f"{code} is both a component and a matter: send matter:{code} or component:{code}",
            field="category",
        )
    raise DomainError(
        "category_unknown", f"未知的分类 {raw!r}", f"unknown category {raw!r}", field="category"
    )


def category_search(q: str | None, *, kind: str | None = None, limit: int | None = None) -> list[Category]:
    """Active categories whose code starts with, or whose name, keywords or major class contain, `q`."""
    qs = Category.objects.active()
    if kind:
        qs = qs.filter(kind=kind)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(code__startswith=q) | Q(name__contains=q) | Q(keywords__contains=q) | Q(major_name__contains=q)
        )
    qs = qs.order_by("kind", "code")
    return list(qs[:limit] if limit else qs)
