"""A URLconf for test_csrf.py: the real site plus one POST endpoint behind the project's API auth.

The API has no POST endpoint yet, so the probe checks what every future one will inherit from
`civicgrid.accounts.auth.AUTH`: a session needs a CSRF token, a bearer token does not.
"""

from __future__ import annotations

from django.urls import path
from ninja import NinjaAPI

from civicgrid.accounts.auth import AUTH
from civicgrid.urls import urlpatterns as site_urlpatterns

probe = NinjaAPI(urls_namespace="csrf_probe", docs_url=None)


@probe.post("/echo", auth=AUTH)
def echo(request):
    return {"user": request.auth.phone}


urlpatterns = [path("probe/", probe.urls), *site_urlpatterns]
