"""Logins into the access audit, from Django's signals (password and SMS-code logins alike)."""

from __future__ import annotations

from civicgrid.audit.models import AccessKind
from civicgrid.audit.services import access_record

CODE_LOGIN_VIEW = "accounts:code_login"


def _method(request) -> str:
    match = getattr(request, "resolver_match", None)
    return "sms" if match is not None and match.view_name == CODE_LOGIN_VIEW else "password"


def login_recorded(sender, request, user, **kwargs) -> None:
    access_record(
        kind=AccessKind.LOGIN,
        actor=user,
        request=request,
        target=_method(request),
        detail={"path": request.path} if request is not None else {},
    )


def login_failure_recorded(sender, credentials, request=None, **kwargs) -> None:
    # Django cleanses the password out of `credentials`; the login name stays.
    from civicgrid.accounts.models import User

    name = str(credentials.get("username") or credentials.get("phone") or "")[:40]
    access_record(
        kind=AccessKind.LOGIN_FAILED,
        # Whose account was tried (who tried is not known: only the address).
        subject=User.objects.filter(phone=name).first() if name else None,
        request=request,
        target=_method(request),
        credential=name,
        detail={"path": request.path} if request is not None else {},
    )
