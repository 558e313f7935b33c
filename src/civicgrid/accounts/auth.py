"""API authentication: a browser session (with CSRF) or a bearer token for machine clients."""

from __future__ import annotations

from ninja.security import HttpBearer, django_auth

from civicgrid.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token: str):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


# Token first: a machine client carries no session cookie and needs no CSRF token.
AUTH = [TokenAuth(), django_auth]
