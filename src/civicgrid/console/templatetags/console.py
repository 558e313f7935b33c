"""Small template helpers of the console: dictionary look-ups and status colours."""

from __future__ import annotations

from django import template

from civicgrid.cases.access import note_as_shown
from civicgrid.cases.choices import CHANNEL_LABELS, STATUS_COLOURS

register = template.Library()


@register.filter
def get_item(mapping, key):
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "grey")


@register.simple_tag(takes_context=True)
def sort_link(context, key: str, label: str):
    """A column header that sorts by `key`, ascending first, then descending; marked for screen readers."""
    from django.utils.html import format_html

    current = context["query"].filters.sort
    params = context.get("base_params") or ""
    target = f"-{key}" if current == key else key
    arrow, state = ("", "none")
    if current == key:
        arrow, state = "▲", "ascending"
    elif current == f"-{key}":
        arrow, state = "▼", "descending"
    href = f"?{params}&sort={target}" if params else f"?sort={target}"
    return format_html(
        '<a href="{}" class="sort" data-sort="{}" aria-sort="{}">{} <span aria-hidden="true">{}</span></a>',
        href,
        key,
        state,
        label,
        arrow,
    )


@register.filter
def hours_minutes(value) -> str:
    """A number of hours (or a timedelta) as "2小时15分"."""
    from civicgrid.core.durations import hours_minutes as text

    return text(value)


@register.filter
def channel_label(channel: str) -> str:
    """The channel in the page's language only (the field's own label is bilingual, for the admin)."""
    return str(CHANNEL_LABELS.get(channel, channel))


@register.filter
def event_note(event) -> str:
    """A step's note, the platform's own notes in the page's language (cases.access.note_as_shown)."""
    return note_as_shown(event)
