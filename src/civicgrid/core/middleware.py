"""Page-level middleware: DomainErrors as readable error pages; no caching of what a signed-in person sees."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from civicgrid.core.errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        return render(request, "core/error.html", {"error": exception}, status=exception.status)


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
