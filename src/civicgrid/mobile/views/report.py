"""随手拍: the report page (citizens, and grid members' patrol reports), nearby cases and category search.

The page works without JavaScript (a multipart POST to itself). With JavaScript it posts the
same form with fetch and `Accept: application/json`, and on a network failure retries with the
same idempotency key, so a retried submission creates one case.
"""

from __future__ import annotations

import json
import math
import uuid

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicgrid.cases.choices import Channel
from civicgrid.cases.intake import case_submit
from civicgrid.cases.uploads import uploads_process
from civicgrid.classifier.suggestions import suggestion_link
from civicgrid.core.errors import DomainError
from civicgrid.mobile import selectors
from civicgrid.mobile.forms import ReportForm
from civicgrid.web import add_domain_error, mobile_login_required, wants_json


def _float_or_none(raw: str | None) -> float | None:
    try:
        value = float(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def prefill_from_query(params) -> dict:
    """What a link may fill in (a scanned code's page links here): lat, lon, address, category, source_ref."""
    initial: dict = {}
    lat, lon = _float_or_none(params.get("lat")), _float_or_none(params.get("lon"))
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
        initial.update(lat=lat, lon=lon)
    if params.get("address"):
        initial["address"] = params["address"].strip()[:200]
    category = selectors.category_lookup(params.get("category"))
    if category is not None:
        initial["category"] = selectors.category_value(category)
    if params.get("source_ref"):
        initial["source_ref"] = params["source_ref"].strip()[:80]
    return initial


def report_page(request: HttpRequest, *, channel: str, patrol: bool) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, require_category=patrol)
        case, created = None, False
        if form.is_valid():
            try:
                photos = uploads_process(request.FILES.getlist("photos"), user=request.user)
                result = case_submit(
                    reporter=request.user,
                    submission=form.submission(channel=channel, photos=photos),
                    idempotency_key=(form.cleaned_data.get("idempotency_key") or None),
                )
                case, created = result.case, result.created
                # The suggestions shown on this form (智能推荐) learn what became of them.
                suggestion_link(log_id=request.POST.get("suggestion_log"), case=case, user=request.user)
            except DomainError as err:
                add_domain_error(form, err)
        if case is not None:
            url = reverse("mobile:case_detail", args=[case.number])
            # Shown on the case page, also when the script navigates there: a replay says so.
            if created:
                messages.success(request, _("上报成功，案件编号 %(number)s") % {"number": case.number})
                if patrol and not selectors.in_my_cells(request.user, case.cell_id):
                    messages.warning(
                        request,
                        _("注意：该位置不在您负责的网格内（%(cell)s），案件已按所在网格处理。")
                        % {"cell": case.cell.name if case.cell_id else _("不在任何网格")},
                    )
            else:
                messages.info(request, _("这份上报已经提交过，案件编号 %(number)s") % {"number": case.number})
            if wants_json(request):
                return JsonResponse(
                    {"number": case.number, "url": url, "created": created}, status=201 if created else 200
                )
            return redirect(url)
        if wants_json(request):
            return JsonResponse(
                {"errors": {field: [str(e) for e in errors] for field, errors in form.errors.items()}},
                status=422,
            )
        status = 422
    else:
        initial = prefill_from_query(request.GET)
        initial["idempotency_key"] = uuid.uuid4().hex
        form = ReportForm(initial=initial, require_category=patrol)
    bounds, my_cells = selectors.city_bounds(), None
    if patrol:  # a grid member's patrol: the map opens on their own cells and outlines them
        cells = selectors.my_cells(request.user)
        bounds = selectors.cells_bounds(cells) or bounds
        my_cells = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": c.geojson, "properties": {"name": c.name}} for c in cells
            ],
        }
    context = {
        "form": form,
        "tab": "grid" if patrol else "report",
        "patrol": patrol,
        "channel": channel,
        "tree": selectors.category_tree(),
        "selected_category": form["category"].value() or "",
        "prefilled": bool(request.method == "GET" and ({"lat", "source_ref"} & set(request.GET))),
        "city_bounds_json": json.dumps(bounds),
        "my_cells": my_cells,
        "tile_url": settings.CIVICGRID_TILE_URL,
        "tile_attribution": settings.CIVICGRID_TILE_ATTRIBUTION,
        "max_photos": settings.CIVICGRID_PHOTO_MAX_COUNT,
        "form_action": request.path,
    }
    return render(request, "mobile/report.html", context, status=status)


@mobile_login_required
def report(request: HttpRequest) -> HttpResponse:
    """随手拍 for everyone signed in (channel app; code_scan when it carries a scanned code's source_ref)."""
    return report_page(request, channel=Channel.APP, patrol=False)


@require_GET
@mobile_login_required
def report_nearby(request: HttpRequest) -> HttpResponse:
    """(htmx) Open cases of the chosen category near the chosen point, to join instead of reporting again."""
    lat, lon = _float_or_none(request.GET.get("lat")), _float_or_none(request.GET.get("lon"))
    category = selectors.category_lookup(request.GET.get("category"))
    nearby = []
    if lat is not None and lon is not None and category is not None:
        nearby = selectors.safe_nearby(user=request.user, lat=lat, lon=lon, category=category)
    return render(
        request,
        "mobile/partials/_nearby.html",
        {"nearby": nearby, "category": category, "radius": int(selectors.NEARBY_RADIUS_M)},
    )


@require_GET
@mobile_login_required
def category_search(request: HttpRequest) -> HttpResponse:
    """(htmx) Categories matching the search words, to pick one for the report."""
    q = request.GET.get("q", "")
    results = [(selectors.category_value(c), c) for c in selectors.category_search(q)]
    return render(request, "mobile/partials/_category_results.html", {"results": results, "q": q.strip()})
