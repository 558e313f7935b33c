"""Who made a model change (django-auditlog), recorded only where a signed-in person can make one."""

from __future__ import annotations

from auditlog.middleware import AuditlogMiddleware as _AuditlogMiddleware

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AuditlogMiddleware(_AuditlogMiddleware):
    """django-auditlog's middleware, skipped for reads and for requests without a session user.

    It connects its signal receivers for every request it wraps, which cost more than the API's
    cheapest answer itself. A read changes no model; a request signed by an API token has no user
    when the middleware runs (the token is checked in the view), so auditlog would record no actor
    for it anyway.
    """

    def __call__(self, request):
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return self.get_response(request)
        return super().__call__(request)
