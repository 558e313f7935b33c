"""API authentication: a browser session (with CSRF) or a bearer token for machine clients."""

from __future__ import annotations

from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from civicgrid.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token: str):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """A signed-in browser session, whose unsafe requests must carry the CSRF token.

    Ninja checks the CSRF token before it looks at the session, so a request with no session at all
    was refused with 403 "CSRF check Failed" instead of 401. The check protects a session: without
    one there is nothing to forge, the scheme does not apply, and the request ends as unauthenticated.
    """

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


# Token first: a machine client carries no session cookie and needs no CSRF token.
AUTH = [TokenAuth(), SessionAuth()]
