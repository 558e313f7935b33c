"""The grid member's pages (/m/grid/): my cells on a map, patrol reports, on-site checks (核查)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.cases import selectors as case_selectors
from civicgrid.cases.access import access_case, allowed_actions
from civicgrid.cases.choices import STATUS_COLOURS, Action, CaseStatus, Channel
from civicgrid.cases.models import Case, PhotoStage
from civicgrid.cases.uploads import uploads_process
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.mobile import selectors
from civicgrid.mobile.forms import VerifyForm
from civicgrid.mobile.views.cases import timeline
from civicgrid.mobile.views.report import report_page
from civicgrid.replyquality import selectors as reply_selectors
from civicgrid.web import add_domain_error, grid_member_required, http_error, page_number

VERIFY_ACTIONS = (Action.VERIFY, Action.REWORK)


def _map_context() -> dict:
    return {"tile_url": settings.CIVICGRID_TILE_URL, "tile_attribution": settings.CIVICGRID_TILE_ATTRIBUTION}


@grid_member_required
def grid_home(request: HttpRequest) -> HttpResponse:
    """My cells on a map with their open cases, and what waits for me."""
    cells = selectors.my_cells(request.user)
    markers = [
        {
            "number": c.number,
            "label": c.get_status_display(),
            "colour": STATUS_COLOURS.get(c.status, "grey"),
            "lat": c.lat,
            "lon": c.lon,
            "url": reverse(
                "mobile:grid_verify" if c.status == CaseStatus.HANDLED else "mobile:case_detail",
                args=[c.number],
            ),
        }
        for c in selectors.cases_in_my_cells(request.user)
    ]
    features = [
        {
            "type": "Feature",
            "geometry": c.geojson,
            "properties": {"code": c.code, "name": c.name, "open": c.open_count},
        }
        for c in cells
    ]
    context = {
        "cells": cells,
        "cells_geojson": {"type": "FeatureCollection", "features": features},
        "markers": markers,
        # What the dots' colours mean: the statuses on the map, in the loop's order.
        "legend": [
            (STATUS_COLOURS.get(s, "grey"), s.label)
            for s in CaseStatus
            if any(m["colour"] == STATUS_COLOURS.get(s) and m["label"] == s.label for m in markers)
        ],
        "bounds": selectors.cells_bounds(cells) or selectors.city_bounds(),
        "verify_count": sum(c.verify_count for c in cells),
        "tab": "grid",
        **_map_context(),
    }
    return render(request, "mobile/grid/home.html", context)


@grid_member_required
def grid_report(request: HttpRequest) -> HttpResponse:
    """巡查上报: a grid member's report (channel grid) is registered at once."""
    return report_page(request, channel=Channel.GRID, patrol=True)


@grid_member_required
def grid_reports(request: HttpRequest) -> HttpResponse:
    page = page_number(request)
    cases, more = selectors.patrol_reports(request.user, offset=(page - 1) * selectors.PAGE_SIZE)
    context = {"cases": cases, "more": more, "next_page": page + 1, "tab": "grid"}
    if request.htmx:
        return render(request, "mobile/partials/_case_items.html", context)
    return render(request, "mobile/grid/reports.html", context)


@grid_member_required
def grid_verify_list(request: HttpRequest) -> HttpResponse:
    """核查: cases handled by their department in my cells, waiting for me to check on site."""
    now = clock.now()
    from civicgrid.cases.deadlines import light_of

    rows = [{"case": c, "light": light_of(c, now)} for c in selectors.to_verify(request.user)]
    return render(request, "mobile/grid/verify_list.html", {"rows": rows, "tab": "grid"})


def _verify_page(request: HttpRequest, case: Case, form: VerifyForm, status: int = 200) -> HttpResponse:
    detail = case_selectors.case_detail(case)
    actions = [a for a in allowed_actions(request.user, case) if a in VERIFY_ACTIONS]
    photos = selectors.case_photos_by_stage(detail.photos)
    context = {
        "case": case,
        "form": form,
        "actions": actions,
        "timeline": timeline(case, detail, request.user),
        "report_photos": photos.get(PhotoStage.REPORT, []),
        "feedback_photos": photos.get(PhotoStage.FEEDBACK, []),
        "feedback": next((e for e in reversed(detail.events) if e.action == Action.FEEDBACK), None),
        "reply_score": reply_selectors.latest_score(case),
        "max_photos": settings.CIVICGRID_PHOTO_MAX_COUNT,
        "evidence_required": bool(case.category_id and case.category.verify_evidence),
        "tab": "grid",
        **_map_context(),
    }
    return render(request, "mobile/grid/verify.html", context, status=status)


@grid_member_required
def grid_verify(request: HttpRequest, number: str) -> HttpResponse:
    """Check one case on site: pass it (核查通过) or send it back (返工), with a note and photos."""
    try:
        case = access_case(request.user, number)
    except DomainError as err:
        return http_error(err, request)
    if request.method != "POST":
        return _verify_page(request, case, VerifyForm(initial={"action": Action.VERIFY}))
    form = VerifyForm(request.POST)
    if form.is_valid():
        action = form.cleaned_data["action"]
        try:
            photos = uploads_process(request.FILES.getlist("photos"), user=request.user)
            case_transition(
                case=case,
                action=action,
                actor=request.user,
                note=form.cleaned_data["note"],
                payload=MoveInput(photos=photos),
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            done = _("核查通过，已提交结案") if action == Action.VERIFY else _("已退回处置部门返工")
            messages.success(request, f"{done} · {case.number}")
            return redirect("mobile:grid_verify_list")
    return _verify_page(request, case, form, status=422)
