"""Template helpers of the volunteer pages: a colour for each sign-up, hours and anomaly state."""

from __future__ import annotations

from django import template

from civicgrid.volunteers.models import AnomalyState, HoursState, SignupState

register = template.Library()

COLOURS = {
    SignupState.APPLIED: "amber",
    SignupState.CONFIRMED: "green",
    SignupState.WAITLISTED: "orange",
    SignupState.CANCELLED: "grey",
    SignupState.DECLINED: "grey",
    SignupState.NO_SHOW: "brown",
    SignupState.ATTENDED: "teal",
    HoursState.NONE: "grey",
    HoursState.PENDING: "amber",
    HoursState.APPROVED: "green",
    HoursState.REJECTED: "brown",
    AnomalyState.OPEN: "orange",
    AnomalyState.ACCEPTED: "green",
    AnomalyState.REJECTED: "brown",
}


@register.filter
def state_colour(state: str) -> str:
    return COLOURS.get(state, "grey")


@register.filter
def km(metres) -> str:
    """1234.5 → "1.2 km", 320 → "320 m"."""
    if metres is None:
        return ""
    metres = float(metres)
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"
