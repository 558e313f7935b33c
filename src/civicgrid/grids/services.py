"""Writes and rules for grids: placing a reported point, assigning grid members, revisions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.core.errors import DomainError
from civicgrid.grids import index
from civicgrid.grids.coords import CoordSystem, to_wgs84
from civicgrid.grids.models import Cell, CellMember, GridRevision


@dataclass(frozen=True)
class Place:
    """A reported point, converted to WGS-84 and placed in the grid."""

    lat: float
    lon: float
    cell: Cell | None


def place_resolve(*, lat: object, lon: object, crs: str = CoordSystem.WGS84) -> Place:
    """Convert to WGS-84, refuse points outside the city, and find the unit grid cell."""
    wlat, wlon = to_wgs84(lat, lon, crs)  # type: ignore[arg-type]
    idx = index.get_index()
    if not idx.in_city(wlat, wlon):
        raise DomainError(
            "outside_city",
            f"位置 ({wlat:.6f}, {wlon:.6f}) 不在本市管辖范围内",
            f"the location ({wlat:.6f}, {wlon:.6f}) is outside the city's boundary",
            field="lat",
        )
    return Place(lat=wlat, lon=wlon, cell=idx.locate(wlat, wlon))


def grid_revision_bump() -> None:
    """Tell every process that the cells changed (called inside the changing transaction)."""
    updated = GridRevision.objects.filter(pk=1).update(revision=F("revision") + 1)
    if not updated:
        GridRevision.objects.get_or_create(pk=1, defaults={"revision": 1})
    transaction.on_commit(index.invalidate)


@transaction.atomic
def cell_member_assign(*, cell: Cell, user: User) -> CellMember:
    if user.role != Role.GRID_MEMBER:
        raise DomainError(
            "not_grid_member",
            f"{user.display_name} 不是网格员",
            f"{user.display_name} is not a grid member",
            field="user",
        )
    assignment, _ = CellMember.objects.get_or_create(cell=cell, user=user)
    return assignment


@transaction.atomic
def cell_member_unassign(*, cell: Cell, user: User) -> None:
    CellMember.objects.filter(cell=cell, user=user).delete()


@transaction.atomic
def command_area_assign(*, user: User, code: str) -> User:
    """Make `user` (a dispatcher or leader) the command centre of a district or street (its code), or of
    the whole city (empty code). Anything else is refused and nothing changes."""
    from django.core.exceptions import ValidationError

    user.command_area = (code or "").strip()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as err:
        problem = " ".join(err.message_dict.get("command_area", err.messages))
        user.refresh_from_db(fields=["command_area"])
        raise DomainError(
            "command_area_invalid",
            f"指挥范围无效：{problem}",
            f"invalid command area: {problem}",
            field="command_area",
        ) from err
    user.save(update_fields=["command_area"])
    user.__dict__.pop("_command_area", None)
    return user
