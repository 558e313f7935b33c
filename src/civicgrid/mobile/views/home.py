from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicgrid.accounts.roles import Capability, user_can
from civicgrid.mobile import selectors


def home(request: HttpRequest) -> HttpResponse:
    """The H5 start page: report, my latest cases; grid members and inspectors also see their work."""
    context: dict = {"tab": "home"}
    if request.user.is_authenticated:
        cases, more = selectors.my_cases(request.user, limit=3)
        context.update(recent=cases, more=more, grid_member=user_can(request.user, Capability.VERIFY_ON_SITE))
        if context["grid_member"]:
            context["verify_count"] = selectors.to_verify_qs(request.user).count()
        # Inspectors (执法/巡查): their work — record uncivil behaviour, review appeals, scan a code.
        context["inspector"] = user_can(request.user, Capability.INSPECT)
        if context["inspector"]:
            from civicgrid.points.selectors import pending_appeals

            context["appeal_count"] = pending_appeals().count()
    return render(request, "mobile/home.html", context)
