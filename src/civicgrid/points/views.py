"""The H5 pages of the points app (/m/points/): my points, leaderboard, the public display (晾晒),
the catalogue and my vouchers, the merchant's voucher check, the appeal form, and the inspector's
pages to record uncivil behaviour and review appeals."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import segno
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from civicgrid.accounts.models import User, validate_phone
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.accounts.services import user_create
from civicgrid.cases.uploads import (
    uploads_held,
    uploads_hold,
    uploads_release,
    uploads_with_held,
)
from civicgrid.core.errors import DomainError
from civicgrid.points import selectors, services
from civicgrid.points.choices import UncivilBehaviour, UncivilStatus
from civicgrid.points.models import Appeal, UncivilRecord
from civicgrid.web import forbidden, http_error, mobile_login_required


def inspector_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not user_can(request.user, Capability.INSPECT):
            return forbidden(request, _("此页面仅供督查员使用。"))
        return view(request, *args, **kwargs)

    return mobile_login_required(wrapper)


def add_error(form: forms.Form, err: DomainError) -> None:
    field = err.field if err.field in form.fields else None
    form.add_error(field, err.message)


# --- citizens -------------------------------------------------------------------------------------


@mobile_login_required
def home(request: HttpRequest) -> HttpResponse:
    """我的积分: balance, level, the score by dimension, every entry explained, my deductions."""
    person = request.user
    c = selectors.contribution(person)
    records = list(selectors.my_records(person))
    context = {
        "balance": selectors.balance_of(person),
        "contribution": c,
        "level": c.level,
        "entries": selectors.my_ledger(person),
        "deductions": selectors.signed(-c.deductions),
        "records": records,
        "tab": "points",
        "name": selectors.person_masked_name(person),
    }
    return render(request, "points/home.html", context)


def leaderboard(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "city")
    if scope not in ("city", "street", "community"):
        scope = "city"
    code = request.GET.get("code", "")
    viewer = request.user if request.user.is_authenticated else None
    if scope != "city" and not code and viewer is not None:
        account = getattr(viewer, "points_account", None)
        community = account.community if account is not None else None
        if community is not None:
            code = community.code if scope == "community" else community.street.code
    ranks = selectors.leaderboard(scope=scope, community_code=code, street_code=code, viewer=viewer)
    return render(
        request, "points/leaderboard.html", {"ranks": ranks, "scope": scope, "code": code, "tab": "points"}
    )


def display(request: HttpRequest) -> HttpResponse:
    """晾晒: public, no sign-in; masked names only."""
    return render(request, "points/display.html", {"rows": selectors.public_display(), "tab": "points"})


@mobile_login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "points/catalogue.html",
        {"items": selectors.catalogue(), "tab": "points", "balance": selectors.balance_of(request.user)},
    )


@require_http_methods(["GET", "POST"])
@mobile_login_required
def redeem(request: HttpRequest, pk: int) -> HttpResponse:
    """兑换: a confirmation page first (what it costs, the balance after); only its confirming POST
    (`confirm`) redeems. A POST without it shows the confirmation instead, and changes nothing."""
    item = selectors.catalogue().filter(pk=pk).first()
    if item is None:
        return http_error(
            DomainError("reward_not_found", "该商品不存在或已下架", "no such reward", status=404), request
        )
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            services.reward_redeem(person=request.user, item=item)
        except DomainError as err:
            messages.error(request, err.message)
            return redirect("points:catalogue")
        messages.success(request, _("兑换成功，请到店出示兑换券二维码"))
        return redirect("points:vouchers")
    balance = selectors.balance_of(request.user)
    context = {
        "item": item,
        "balance": balance,
        "after": balance - item.cost,
        "affordable": balance >= item.cost and item.stock > 0,
        "tab": "points",
    }
    return render(request, "points/redeem_confirm.html", context)


def qr_svg(text: str) -> str:
    """The token as an inline SVG QR code (no image request, works offline)."""
    return segno.make(text, error="m").svg_inline(scale=4, border=2, dark="#1f2933", light="#fff")


@mobile_login_required
def vouchers(request: HttpRequest) -> HttpResponse:
    rows = [
        {"voucher": v, "qr": mark_safe(qr_svg(v.token)) if v.used_at is None else ""}  # noqa: S308 - segno SVG
        for v in selectors.my_vouchers(request.user)
    ]
    return render(request, "points/vouchers.html", {"rows": rows, "tab": "points"})


class VoucherForm(forms.Form):
    token = forms.CharField(label=gettext_lazy("券码"), max_length=200)


@mobile_login_required
def voucher_use(request: HttpRequest) -> HttpResponse:
    """The merchant scans the voucher (its QR opens this page with ?token=…) or types it, then confirms."""
    form = VoucherForm(request.POST or None, initial={"token": request.GET.get("token", "")})
    voucher, used = None, None
    if request.method == "GET" and request.GET.get("token"):
        try:  # show what is being used before the merchant confirms
            voucher = services.voucher_lookup(request.GET["token"])
        except DomainError as err:
            form.add_error(None, err.message)
    if request.method == "POST" and form.is_valid():
        try:
            used = services.voucher_use(token=form.cleaned_data["token"], merchant_user=request.user)
        except DomainError as err:
            add_error(form, err)
        else:
            messages.success(request, _("核销成功"))
    status = 422 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "points/voucher_use.html",
        {"form": form, "voucher": used or voucher, "used": used, "tab": "points"},
        status=status,
    )


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("申诉理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 4})
    )


@mobile_login_required
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    record = UncivilRecord.objects.filter(pk=pk, person=request.user).prefetch_related("photos").first()
    if record is None:
        return http_error(
            DomainError("record_not_found", "记录不存在", "no such record", status=404), request
        )
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_create(record=record, person=request.user, reason=form.cleaned_data["reason"])
        except DomainError as err:
            add_error(form, err)
        else:
            messages.success(request, _("申诉已提交，将由其他督查员复核"))
            return redirect("points:home")
    can_appeal = record.status == UncivilStatus.RECORDED
    return render(
        request,
        "points/appeal.html",
        {"record": record, "form": form, "can_appeal": can_appeal, "tab": "points"},
        status=422 if form.errors else 200,
    )


# --- inspectors -----------------------------------------------------------------------------------


class UncivilForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("当事人手机号"), max_length=11, validators=[validate_phone])
    behaviour = forms.ChoiceField(label=gettext_lazy("不文明行为"), choices=UncivilBehaviour.choices)
    address = forms.CharField(label=gettext_lazy("地点"), max_length=200)
    lat = forms.FloatField(label=gettext_lazy("纬度"), required=False)
    lon = forms.FloatField(label=gettext_lazy("经度"), required=False)
    note = forms.CharField(
        label=gettext_lazy("说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


@inspector_required
def inspect(request: HttpRequest) -> HttpResponse:
    """Record uncivil behaviour: the person by phone number (a household or e-bike code scan comes
    through the codes app with the person already known), the place, evidence photos."""
    form = UncivilForm(request.POST or None)
    held = request.POST.get("held_photos", "") if request.method == "POST" else ""
    photos_refused = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            photos = uploads_with_held(request.FILES.getlist("photos"), held, user=request.user)
            person = User.objects.filter(phone=data["phone"]).first()
            if person is None:  # not signed up yet: an account they can claim by SMS login
                person = user_create(phone=data["phone"])
            record = services.uncivil_record_create(
                inspector=request.user,
                person=person,
                behaviour=data["behaviour"],
                lat=data["lat"],
                lon=data["lon"],
                address=data["address"],
                note=data["note"],
                photos=photos,
            )
        except DomainError as err:
            add_error(form, err)
            if err.field == "photos":
                held, photos_refused = "", True  # the photos themselves were refused: choose others
        else:
            uploads_release(held, user=request.user)
            messages.success(request, _("已记录，扣 %(n)s 分；当事人已收到通知") % {"n": record.points})
            return redirect("points:inspect")
    files = request.FILES.getlist("photos") if request.method == "POST" and not photos_refused else []
    if files:  # the form was refused for another reason: keep what was chosen (with what was held)
        try:
            kept = uploads_held(held, user=request.user) + files
        except DomainError:
            kept = files
        uploads_release(held, user=request.user)
        held = uploads_hold(kept, user=request.user)
    held_count = 0
    if held:
        try:
            held_count = len(uploads_held(held, user=request.user))
        except DomainError:
            held = ""
    recent = UncivilRecord.objects.filter(inspector=request.user).select_related("person")[:20]
    return render(
        request,
        "points/inspect.html",
        {"form": form, "recent": recent, "tab": "points", "held_photos": held, "held_count": held_count},
        status=422 if form.errors else 200,
    )


@inspector_required
def appeals(request: HttpRequest) -> HttpResponse:
    return render(request, "points/appeals.html", {"appeals": selectors.pending_appeals(), "tab": "points"})


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("uphold", gettext_lazy("申诉成立（撤销扣分）")),
            ("reject", gettext_lazy("驳回申诉（维持扣分）")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("复核意见"), max_length=500, required=False)


@inspector_required
def appeal_review(request: HttpRequest, pk: int) -> HttpResponse:
    appeal_obj = (
        Appeal.objects.select_related("record", "record__person", "record__inspector").filter(pk=pk).first()
    )
    if appeal_obj is None:
        return http_error(
            DomainError("appeal_not_found", "申诉不存在", "no such appeal", status=404), request
        )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_decide(
                appeal=appeal_obj,
                reviewer=request.user,
                upheld=form.cleaned_data["decision"] == "uphold",
                note=form.cleaned_data["note"],
            )
        except DomainError as err:
            add_error(form, err)
        else:
            messages.success(request, _("复核完成"))
            return redirect("points:appeals")
    return render(
        request,
        "points/appeal_review.html",
        {
            "appeal": appeal_obj,
            "record": appeal_obj.record,
            "form": form,
            "tab": "points",
            "is_recorder": appeal_obj.record.inspector_id == request.user.pk,
        },
        status=422 if form.errors else 200,
    )
