"""Template helpers of the H5 pages: status badges, the bottom tab bar, a case's text for its viewer."""

from __future__ import annotations

from django import template

from civicgrid.accounts.roles import Capability, user_can
from civicgrid.cases.access import description_for
from civicgrid.cases.choices import STATUS_COLOURS

register = template.Library()


@register.filter
def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "grey")


@register.inclusion_tag("mobile/partials/_tabbar.html", takes_context=True)
def mobile_tabbar(context) -> dict:
    from civicgrid.mobile.selectors import unread_count

    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "tab": context.get("tab", ""),
        "signed_in": signed_in,
        "unread": unread_count(user) if signed_in else 0,
        "grid_member": signed_in and user_can(user, Capability.VERIFY_ON_SITE),
    }


@register.simple_tag(takes_context=True)
def case_text(context, case) -> str:
    """The case's text as the signed-in viewer may read it (cases.access.description_for)."""
    return description_for(context["request"].user, case)
