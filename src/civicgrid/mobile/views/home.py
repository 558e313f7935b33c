from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicgrid.accounts.roles import Capability, user_can
from civicgrid.mobile import selectors


def home(request: HttpRequest) -> HttpResponse:
    """The H5 start page: report, my latest cases; grid members also see their queue."""
    context: dict = {"tab": "home"}
    if request.user.is_authenticated:
        cases, more = selectors.my_cases(request.user, limit=3)
        context.update(recent=cases, more=more, grid_member=user_can(request.user, Capability.VERIFY_ON_SITE))
        if context["grid_member"]:
            context["verify_count"] = selectors.to_verify_qs(request.user).count()
    return render(request, "mobile/home.html", context)
