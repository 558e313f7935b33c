"""Small filters of the dashboard's templates: rates as percentages, who may open the dashboard."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.9234 → 92.3%; no data → —."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def can_view_city(user) -> bool:
    """May this user open the dashboard and the big screen (the console's navigation asks)."""
    from civicgrid.accounts.roles import Capability, user_can

    return user_can(user, Capability.VIEW_CITY)


@register.filter
def command_area_name(user) -> str:
    """The district or street whose command centre this user works in; empty for the whole city."""
    from civicgrid.grids.scope import area_of

    area = area_of(user)
    return area.name if area is not None else ""
