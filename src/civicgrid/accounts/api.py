"""Accounts API: who am I."""

from __future__ import annotations

from ninja import Router, Schema

from civicgrid.accounts.auth import AUTH
from civicgrid.accounts.roles import capabilities_of

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    display_name: str
    role: str
    department: str | None
    capabilities: list[str]


@router.get("/me", response=MeOut, auth=AUTH)
def me(request):
    user = request.auth
    return MeOut(
        id=user.id,
        display_name=user.display_name,
        role=user.role,
        department=user.department.code if user.department_id else None,
        capabilities=sorted(capabilities_of(user)),
    )
