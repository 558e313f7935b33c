"""The project's URLs, plus /api/codes when civicgrid/api.py does not mount the codes router (yet).

Once `api.add_router("/codes", codes_router)` is in civicgrid/api.py this adds nothing, and the
tests run against the real mount.
"""

from django.urls import path
from ninja import NinjaAPI

from civicgrid.codes.api import router
from civicgrid.core.errors import DomainError
from civicgrid.core.renderers import JSONRenderer
from civicgrid.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)

if getattr(router, "api", None) is None:
    api = NinjaAPI(renderer=JSONRenderer(), urls_namespace="codes_test_api", docs_url=None)

    @api.exception_handler(DomainError)
    def on_domain_error(request, exc: DomainError):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    api.add_router("/codes", router)
    urlpatterns = [path("api/", api.urls), *urlpatterns]
