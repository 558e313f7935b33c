from __future__ import annotations

import base64

import segno
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicgrid.accounts.services import (
    LOGIN_CODE_LENGTH,
    LOGIN_CODE_RESEND_AFTER,
    login_code_send,
    login_code_verify,
)
from civicgrid.accounts.smsguard import CaptchaError, captcha_needed, new_captcha, requester_from
from civicgrid.core.errors import DomainError
from civicgrid.core.masking import mask_phone

CODE_LOGIN_DEFAULT_NEXT = "/m/"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def _safe_next(request: HttpRequest, default: str = CODE_LOGIN_DEFAULT_NEXT) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


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
    requester = requester_from(
        request,
        captcha_key=request.POST.get("captcha_key", ""),
        captcha_answer=request.POST.get("captcha", ""),
    )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "send":
                login_code_send(phone=phone, requester=requester)
                context.update(step="code", sent=True)
            elif action == "verify":
                context["step"] = "code"
                user = login_code_verify(phone=phone, code=request.POST.get("code", ""))
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(next_url)
            else:
                context["errors"]["form"] = _("请求无效，请重试")
        except CaptchaError as err:
            context["errors"]["captcha"] = err.message
            context["captcha"] = err.captcha
            context["step"] = "code" if request.POST.get("step") == "code" else "phone"
            status = err.status
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
    if "captcha" not in context and captcha_needed(requester):
        context["captcha"] = new_captcha()  # the next send asks for it: show it with the form
    return render(request, "accounts/code_login.html", context, status=status)


# --- the second factor (TOTP, django-otp) for administrators and leaders ------------------------------


def _otp_token(request: HttpRequest) -> str:
    return (request.POST.get("token") or "").strip().replace(" ", "")


def _otp_refused(token: str) -> str:
    if not (len(token) == 6 and token.isdigit()):
        return _("请输入验证器上显示的 6 位数字")
    return _("动态验证码不正确或已使用，请输入验证器上的新数字")


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: the QR code and the secret of a new TOTP device, confirmed by a first code."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': _safe_next(request, '/')})}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name=_("验证器"), confirmed=False)
    error, status = "", 200
    if request.method == "POST":
        token = _otp_token(request)
        if token.isdigit() and device.verify_token(token):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_safe_next(request, "/"))
        error, status = _otp_refused(token), 422
    context = {
        "secret": base64.b32encode(device.bin_key).decode(),
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4),
        "next": _safe_next(request, "/"),
        "error": error,
    }
    return render(request, "accounts/otp_setup.html", context, status=status)


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """After the password: the code the authenticator app shows now."""
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"{reverse('accounts:otp_setup')}?{urlencode({'next': _safe_next(request, '/')})}")
    error, status = "", 200
    if request.method == "POST":
        token = _otp_token(request)
        device = match_token(request.user, token) if token.isdigit() else None
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request, "/"))
        error, status = _otp_refused(token), 422
    return render(
        request, "accounts/otp_verify.html", {"next": _safe_next(request, "/"), "error": error}, status=status
    )
