from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from civicgrid.accounts.services import (
    LOGIN_CODE_LENGTH,
    LOGIN_CODE_RESEND_AFTER,
    login_code_send,
    login_code_verify,
)
from civicgrid.core.errors import DomainError
from civicgrid.core.masking import mask_phone

CODE_LOGIN_DEFAULT_NEXT = "/m/"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return CODE_LOGIN_DEFAULT_NEXT


def code_login(request: HttpRequest) -> HttpResponse:
    """Sign in or sign up with a phone number and an SMS code: step 1 asks for the code, step 2 checks it."""
    next_url = _safe_next(request)
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    context: dict = {
        "next": next_url,
        "step": "phone",
        "errors": {},
        "code_length": LOGIN_CODE_LENGTH,
        "resend_after": int(LOGIN_CODE_RESEND_AFTER.total_seconds()),
    }
    phone = (request.POST.get("phone") or request.GET.get("phone") or "").strip()
    context["phone"] = phone
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "send":
                login_code_send(phone=phone)
                context.update(step="code", sent=True)
            elif action == "verify":
                context["step"] = "code"
                user = login_code_verify(phone=phone, code=request.POST.get("code", ""))
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(next_url)
            else:
                context["errors"]["form"] = _("请求无效，请重试")
        except DomainError as err:
            if action == "verify":
                # A failed SMS-code login, told as Django tells a failed password login (the audit listens).
                user_login_failed.send(sender=__name__, credentials={"username": phone}, request=request)
            context["errors"][err.field or "form"] = err.message
            if err.code == "code_too_soon":
                context["step"] = "code"  # the code sent a moment ago is still good
            elif err.field == "phone":
                context["step"] = "phone"
            status = err.status
    context["masked_phone"] = mask_phone(phone) if context["step"] == "code" else ""
    return render(request, "accounts/code_login.html", context, status=status)
