"""Taxonomy API: the category tree (for the report form) and the departments."""

from __future__ import annotations

from ninja import Router, Schema

from civicgrid.accounts.auth import api_scope
from civicgrid.accounts.models import Department
from civicgrid.accounts.scopes import Scope
from civicgrid.taxonomy.selectors import category_search

router = Router(tags=["taxonomy"])


class CategoryOut(Schema):
    kind: str
    code: str
    major_code: str
    major_name: str
    name: str
    legacy_code: str
    is_local: bool
    default_urgency: str


class DepartmentOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None


@router.get("/categories", response=list[CategoryOut])
@api_scope(Scope.PUBLIC)
def categories(request, kind: str | None = None, q: str | None = None):
    """Active categories, optionally of one kind, optionally matching `q` in code, name or keywords."""
    return category_search(q, kind=kind)


@router.get("/departments", response=list[DepartmentOut])
@api_scope(Scope.PUBLIC)
def departments(request):
    return [
        DepartmentOut(code=d.code, name=d.name, kind=d.kind, parent=d.parent.code if d.parent_id else None)
        for d in Department.objects.filter(active=True).select_related("parent")
    ]
