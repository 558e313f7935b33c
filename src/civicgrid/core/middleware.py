"""Turn a DomainError that escapes a page view into a readable error page with its status, and
refuse a URL holding control characters before any view runs."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from civicgrid.core.errors import DomainError
from civicgrid.core.text import text_check


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        return render(request, "core/error.html", {"error": exception}, status=exception.status)


class ControlCharacterMiddleware:
    """A path or query parameter with a control character (a NUL byte breaks PostgreSQL text; none
    has a meaning in a URL of the platform) is a 400 naming the parameter, for the API as JSON and
    for pages as the error page, instead of reaching a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            text_check(request.path, field="path", strip=False)
            for name, values in request.GET.lists():
                text_check(name, field="query", strip=False)
                for value in values:
                    text_check(value, field=name, strip=False)
        except DomainError as exc:
            exc.status = 400
            if request.path.startswith("/api/"):
                return JsonResponse(exc.as_dict(), status=400, json_dumps_params={"ensure_ascii": False})
            return render(request, "core/error.html", {"error": exc}, status=400)
        return self.get_response(request)
