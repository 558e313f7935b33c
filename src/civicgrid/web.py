"""What every H5 page shares: sign-in and role checks, JSON-or-HTML answers, domain errors as HTTP
and next to form fields.

Both the page app `mobile` and the pages of domain apps (codes' scan pages /c/, points' pages
/m/points/) use these, so this module sits below the domain apps and imports only accounts and core
(the import contracts in pyproject.toml). The pages it renders (mobile/forbidden.html,
mobile/not_found.html) live beside the shared H5 frame in templates/mobile/.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from civicgrid.accounts.roles import Capability, user_can
from civicgrid.core.errors import DomainError, NotFound, PermissionDenied
from civicgrid.core.paging import MAX_PAGE

LOGIN_URL = reverse_lazy("accounts:code_login")

# Service fields → the form field their error is shown next to.
FIELD_OF = {"lat": "location", "lon": "location", "Idempotency-Key": None, "channel": None, "urgency": None}


def mobile_login_required(view: Callable) -> Callable:
    """Signed-in people only; others go to the SMS-code login (which also signs up) and come back."""
    return login_required(view, login_url=LOGIN_URL)


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "mobile/forbidden.html", {"message": message}, status=403)


def grid_member_required(view: Callable) -> Callable:
    """Grid members only (the capability to check on site, see accounts/roles.py)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not user_can(request.user, Capability.VERIFY_ON_SITE):
            from django.utils.translation import gettext as _

            return forbidden(request, _("此页面仅供网格员使用。"))
        return view(request, *args, **kwargs)

    return mobile_login_required(wrapper)


def wants_json(request: HttpRequest) -> bool:
    """The report page's script asks for JSON (it submits with fetch to retry on a flaky network)."""
    return "application/json" in request.headers.get("Accept", "")


def page_number(request: HttpRequest) -> int:
    """The `page` asked for (1 when missing or not a number); past MAX_PAGE there is nothing: 404."""
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1
    if page > MAX_PAGE:
        raise Http404("no such page")
    return page


def http_error(err: DomainError, request: HttpRequest) -> HttpResponse:
    """A domain error that is not about a form field, as an H5 page with a way back.

    404 for what the viewer may not know exists (access_case does not reveal other people's cases).
    """
    if isinstance(err, NotFound):
        return render(request, "mobile/not_found.html", {"message": err.message}, status=404)
    if isinstance(err, PermissionDenied):
        return forbidden(request, err.message)
    raise err


def add_domain_error(form: forms.Form, err: DomainError) -> None:
    """A service's refusal shown next to the field it names (lat/lon: the map), else above the form."""
    field = FIELD_OF.get(err.field, err.field) if err.field else None
    if field is not None and field not in form.fields:
        field = None
    form.add_error(field, err.message)
