"""Two-level command (市–区/街道): the area a dispatcher or leader commands.

`User.command_area` holds the code of the district (6 digits) or street (9 digits) a dispatcher or leader
commands, empty for the whole city. `area_of(user)` is the one place that reads it: None for the whole
city (and for roles a scope does not apply to), else the district or street with the ids of its streets.
Cases carry their street, and the rollups are kept per street, so every read narrows to
`street_id IN (…)`: a district has a handful of streets. The answer is kept on the user object, so a
request asks the database once — and a city-wide viewer not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicgrid.core.errors import PermissionDenied


@dataclass(frozen=True)
class CommandArea:
    """A district or a street, and the streets it covers."""

    level: str  # "district" | "street"
    pk: int
    code: str
    name: str
    street_ids: tuple[int, ...]
    bounds: tuple[float, float, float, float] | None  # min lon, min lat, max lon, max lat

    def covers(self, street_id: int | None) -> bool:
        return street_id is not None and street_id in self.street_ids


def area_of(user) -> CommandArea | None:
    """The area `user` commands (`User.command_area`), or None for the whole city (and for anyone a scope
    does not apply to). A city-wide viewer costs no query: the code is a column of the user's own row."""
    from civicgrid.accounts.roles import SCOPED_ROLES

    if user is None or not getattr(user, "is_authenticated", False) or not user.command_area:
        return None
    if user.is_superuser or user.role not in SCOPED_ROLES:
        return None
    cached = getattr(user, "_command_area", None)
    if cached is None or cached[0] != user.command_area:
        cached = (user.command_area, _load(user.command_area))
        user._command_area = cached
    return cached[1]


def _load(code: str) -> CommandArea:
    """The district (6 digits) or street (9 digits) of `code`; a code that names neither covers nothing
    (never the whole city: `User.clean` refuses such a code, this is only the safe side)."""
    from civicgrid.grids.models import District, Street

    if len(code) == len("150603"):
        place = District.objects.filter(code=code).first()
        street_ids = (
            tuple(Street.objects.filter(district=place).order_by("id").values_list("id", flat=True))
            if place
            else ()
        )
        level = "district"
    else:
        place = Street.objects.filter(code=code).first()
        street_ids = (place.pk,) if place else ()
        level = "street"
    if place is None:
        return CommandArea(level, 0, code, code, (), None)
    bounds = (
        (place.min_lon, place.min_lat, place.max_lon, place.max_lat) if place.min_lon is not None else None
    )
    return CommandArea(level, place.pk, place.code, place.name, street_ids, bounds)


def area_code_check(code: str) -> str | None:
    """Why `code` is no district's or street's code, or None (accounts.models.command_area_checks)."""
    from civicgrid.grids.models import District, Street

    model = District if len(code) == len("150603") else Street
    if model.objects.filter(code=code).exists():
        return None
    return f"没有代码为 {code} 的区县或街道 (no district or street has the code {code})."


def area_street_ids(user) -> tuple[int, ...] | None:
    """The streets `user` commands, or None for the whole city."""
    area = area_of(user)
    return None if area is None else area.street_ids


def check_street_in_area(user, street_id: int | None, *, field: str = "street") -> None:
    """Refuse (403) a filter on a street outside the viewer's command area: never the figures of another area."""
    area = area_of(user)
    if area is not None and street_id is not None and not area.covers(street_id):
        raise PermissionDenied(
            "outside_command_area",
            f"该街道不在您的指挥范围（{area.name}）内",
            f"that street is outside your command area ({area.code})",
            field=field,
        )
