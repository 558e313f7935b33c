"""Page-level middleware: a DomainError that escapes a page view becomes a readable error page with its
status; a URL holding control characters is refused before any view runs; nothing a signed-in person
sees is cached."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

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


class PrivateNoStoreMiddleware:
    """`Cache-Control: private, no-store` on every answer to a signed-in person (a session or an API
    token) that does not set its own caching: their pages and data stay out of shared caches and
    off the disk of the browser (等保 2.0 剩余信息保护). Answers that choose, such as the map layers
    (`private, max-age=60` with an ETag), keep their choice."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)  # after the view: an API token sets it there
        signed_in = (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META
        if signed_in and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)  # private, no-store, no-cache, max-age=0, Expires
        return response
