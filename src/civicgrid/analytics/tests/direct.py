"""Direct counts over the events and cases, written independently of `analytics.rollups`."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from civicgrid.analytics.models import COUNTERS
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent

# counter: (action, condition on the event)
EVENT_DEFINITIONS = {
    "reported": ("report", None),
    "registered": ("register", None),
    "registered_on_time": ("register", "on_time"),
    "rejected": ("reject", None),
    "merged": ("merge", None),
    "me_too": ("me_too", None),
    "dispatched": ("dispatch", None),
    "returned": ("return", None),
    "handled": ("feedback", None),
    "handled_on_time": ("feedback", "on_time"),
    "reworked": ("rework", None),
    "closed": ("close", None),
    "closed_on_time": ("close", "on_time"),
    "rated": ("rate", None),
    "satisfied": ("rate", "satisfied"),
    "supervised": ("supervise", None),
}


def _event_counts(event: CaseEvent) -> list[str]:
    out = []
    for counter, (action, condition) in EVENT_DEFINITIONS.items():
        if event.action != action:
            continue
        if condition == "on_time" and event.on_time is not True:
            continue
        if condition == "satisfied" and event.data.get("rating") not in ("satisfied", "basically"):
            continue
        out.append(counter)
    return out


def _day(moment, grain: str):
    day = timezone.localtime(moment).date()
    return day if grain == "day" else day.replace(day=1)


def table(dims: tuple[str, ...], grain: str = "day") -> dict:
    """{(day or month, (dimension values…)): {counter: n}} without zeros, like `dump(model)`."""
    out: dict = defaultdict(lambda: defaultdict(int))
    late = set(CaseDeadline.objects.filter(on_time=False).values_list("case_id", flat=True))
    for event in CaseEvent.objects.select_related("case"):
        c = event.case
        point = {
            "street": c.street_id,
            "cell": c.cell_id,
            "department": event.department_id,
            "category": c.category_id,
            "channel": c.channel,
        }
        key = (_day(event.created_at, grain), tuple(point[d] for d in dims))
        for counter in _event_counts(event):
            out[key][counter] += 1
    for c in Case.objects.filter(registered_at__isnull=False).select_related("reporter"):
        point = {
            "street": c.street_id,
            "cell": c.cell_id,
            "department": c.department_id,
            "category": c.category_id,
            "channel": c.channel,
        }
        key = (_day(c.registered_at, grain), tuple(point[d] for d in dims))
        out[key]["due_to_close"] += 1
        if c.status == "closed":
            out[key]["closed_now"] += 1
            if c.pk not in late:
                out[key]["closed_on_time_now"] += 1
        if c.channel == "grid" or (c.reporter and c.reporter.role == "grid_member"):
            out[key]["by_grid"] += 1
    return {k: dict(v) for k, v in out.items() if any(v.values())}


def dump(model, dims: tuple[str, ...]) -> dict:
    fields = ["channel" if d == "channel" else f"{d}_id" for d in dims]
    out = {}
    for row in model.objects.values("day", *fields, *COUNTERS):
        counts = {c: row[c] for c in COUNTERS if row[c]}
        if counts:
            out[(row["day"], tuple(row[f] for f in fields))] = counts
    return out
