"""Accounts API: who am I; sign in with an SMS code (send it, with a captcha after a few; verify it)."""

from __future__ import annotations

from django.contrib.auth import login
from ninja import Router, Schema

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.roles import capabilities_of
from civicgrid.accounts.scopes import Scope
from civicgrid.accounts.services import (
    LOGIN_CODE_RESEND_AFTER,
    LOGIN_CODE_TTL,
    login_code_send,
    login_code_verify,
)
from civicgrid.accounts.smsguard import captcha_needed, new_captcha, requester_from

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    display_name: str
    role: str
    department: str | None
    capabilities: list[str]


@router.get("/me", response=MeOut, auth=AUTH)
@api_scope(Scope.ACCOUNT_READ)
def me(request):
    user = request.auth
    return MeOut(
        id=user.id,
        display_name=user.display_name,
        role=user.role,
        department=user.department.code if user.department_id else None,
        capabilities=sorted(capabilities_of(user)),
    )


class CaptchaOut(Schema):
    key: str
    image_url: str


class CodeSendIn(Schema):
    phone: str
    captcha_key: str = ""
    captcha_answer: str = ""


class CodeSentOut(Schema):
    sent: bool
    expires_in: int
    resend_after: int
    captcha_next: bool  # the next send from this client must carry a captcha answer


class CodeVerifyIn(Schema):
    phone: str
    code: str


@router.get("/captcha", response=CaptchaOut, auth=None)
@api_scope(Scope.PUBLIC)
def captcha(request):
    """A new image captcha: show `image_url`, send `key` and the answer with the next code request."""
    return new_captcha()


@router.post("/login-code", response=CodeSentOut, auth=None)
@api_scope(Scope.PUBLIC)
def login_code(request, payload: CodeSendIn):
    """Send a login code by SMS. Limited per phone, client address, session and day; after a few sends a
    captcha is required (429 `captcha_required` with a new `captcha` in the body; 422 `captcha_wrong`)."""
    requester = requester_from(
        request, captcha_key=payload.captcha_key, captcha_answer=payload.captcha_answer
    )
    login_code_send(phone=payload.phone, requester=requester)
    return CodeSentOut(
        sent=True,
        expires_in=int(LOGIN_CODE_TTL.total_seconds()),
        resend_after=int(LOGIN_CODE_RESEND_AFTER.total_seconds()),
        captcha_next=captcha_needed(requester),
    )


@router.post("/login-code/verify", response=MeOut, auth=None)
@api_scope(Scope.PUBLIC)
def login_code_check(request, payload: CodeVerifyIn):
    """Sign in with the code (a new number signs up a citizen); the session then works for the API."""
    user = login_code_verify(phone=payload.phone, code=payload.code)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return MeOut(
        id=user.id,
        display_name=user.display_name,
        role=user.role,
        department=user.department.code if user.department_id else None,
        capabilities=sorted(capabilities_of(user)),
    )
