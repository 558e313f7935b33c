"""Public, masked pages of the cases (like FixMyStreet's report pages): no reporter, no phone."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render

from civicgrid.cases import selectors
from civicgrid.cases.choices import STATUS_COLOURS, CaseStatus
from civicgrid.core.errors import DomainError


def public_list(request):
    """Recent public cases on a map and in a list, optionally within the map's bbox."""
    status = [s for s in request.GET.getlist("status") if s in CaseStatus.values]
    error = None
    try:
        cases = selectors.public_case_list(
            selectors.PublicCaseFilter(bbox=request.GET.get("bbox") or None, status=status or None, limit=200)
        )
    except DomainError as err:
        cases, error = [], err.message
    page = Paginator(cases, 20).get_page(request.GET.get("page"))
    rows = [{**selectors.public_out(c, timeline=False), "colour": STATUS_COLOURS[c.status]} for c in page]
    template = "cases/partials/_public_rows.html" if request.htmx else "cases/public_list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "rows": rows,
            "error": error,
            "statuses": CaseStatus.choices,
            "selected": status,
            "tile_url": settings.CIVICGRID_TILE_URL,
        },
    )


def public_detail(request, number: str):
    case = selectors.public_case(number)
    data = selectors.public_out(case, timeline=True)
    return render(
        request,
        "cases/public_detail.html",
        {"case": data, "colour": STATUS_COLOURS[case.status], "tile_url": settings.CIVICGRID_TILE_URL},
    )
