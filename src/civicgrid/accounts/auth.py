"""API authentication: a browser session (with CSRF) or a bearer key for machine clients; scopes."""

from __future__ import annotations

import functools

from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.signature.utils import get_typed_signature

from civicgrid.accounts.clients import api_key_authenticate, api_rate_check
from civicgrid.accounts.scopes import Scope
from civicgrid.core.errors import DomainError


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token: str):
        caller = api_key_authenticate(token)
        if caller is not None:
            # The account carries its client too, for the rules that see only the user (masking by scope).
            caller.user.api_client = caller.client
            request.user = caller.user
            request.api_client = caller.client
            request.api_key = caller.key
            # Over the client's limit per minute: 429 with Retry-After (the API's DomainError answer).
            api_rate_check(client=caller.client)
            # The operation's scope (put on the request by the API, `civicgrid.api.declare_scope`).
            scope = getattr(request, "api_scope", None)
            if scope is not None:
                scope_check(request, scope)
            return caller.user
        return None


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


def api_client_of(request):
    """The API client whose key authenticated this request, or None (a browser session, no key)."""
    return getattr(request, "api_client", None)


def scope_check(request, scope: str) -> None:
    """Refuse (403 scope_missing) a request made with a client's key that lacks `scope`."""
    client = api_client_of(request)
    if client is not None and scope != Scope.PUBLIC and not client.has_scope(scope):
        raise DomainError(
            "scope_missing",
            f"该客户端没有权限范围 {scope}",
            f"this client's key lacks the scope {scope}",
            status=403,
        )


def api_scope(scope: str):
    """Declare the scope an endpoint needs (put it under the router's decorator).

    The OpenAPI document shows it (`x-scope`, and the bearer scheme's scope list); a request with a
    client's key that lacks it is refused with 403; a browser session is governed by its role alone.
    """

    def decorate(view):
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            scope_check(request, scope)
            return view(request, *args, **kwargs)

        # Ninja reads the parameters' annotations in the wrapper's module: give it them resolved in the view's.
        checked.__signature__ = get_typed_signature(view)
        checked.api_scope = scope
        return checked

    return decorate
