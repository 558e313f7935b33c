"""Pages of the codes app: the scan page /c/<token>, its actions, and printing for administrators."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicgrid.accounts.roles import Capability, user_can
from civicgrid.cases.uploads import (
    uploads_held,
    uploads_hold,
    uploads_process,
    uploads_release,
    uploads_with_held,
)
from civicgrid.codes import printing, selectors, services
from civicgrid.codes.choices import GRADE_COLOURS, CodeKind
from civicgrid.codes.forms import EBikeReportForm, InspectForm, LocationForm, ViolationForm
from civicgrid.codes.models import Code, EBikeReport
from civicgrid.codes.services import CodeRefused
from civicgrid.core.errors import DomainError
from civicgrid.web import LOGIN_URL, add_domain_error, forbidden


def refused(request: HttpRequest, err: CodeRefused) -> HttpResponse:
    return render(request, "codes/refused.html", {"err": err}, status=err.status)


def _resolve(request: HttpRequest, token: str) -> Code | HttpResponse:
    try:
        return services.code_resolve(token)
    except CodeRefused as err:
        return refused(request, err)


def scan(request: HttpRequest, token: str) -> HttpResponse:
    """The page a QR code opens: the entity (people masked) and what this scanner may do."""
    from civicgrid.codes.actions import actions_for

    code = _resolve(request, token)
    if isinstance(code, HttpResponse):
        return code
    services.scan_record(code=code)
    context = {
        "code": code,
        "entity": code.entity,
        "facts": selectors.code_facts(code),
        "actions": [(a, a.url(code)) for a in actions_for(code, request.user)],
        "anonymous": not request.user.is_authenticated,
        "login_url": LOGIN_URL + "?" + urlencode({"next": request.path}),
        "grade_colour": GRADE_COLOURS.get(getattr(code.entity, "grade", ""), "grey"),
    }
    if code.kind == CodeKind.MERCHANT:
        context["inspections"] = selectors.merchant_recent_inspections(code)
    return render(request, "codes/scan.html", context)


def action(request: HttpRequest, token: str, name: str) -> HttpResponse:
    """Dispatch to a registered action's view after checking that this scanner may use it."""
    from civicgrid.codes.actions import action_get

    code = _resolve(request, token)
    if isinstance(code, HttpResponse):
        return code
    act = action_get(code, name)
    if act is None or act.view is None:
        return render(request, "mobile/not_found.html", {"message": _("没有这个操作。")}, status=404)
    if not act.allowed(request.user, code):
        if not request.user.is_authenticated:
            return redirect(LOGIN_URL + "?" + urlencode({"next": request.get_full_path()}))
        return forbidden(request, _("您的角色不能执行此操作。"))
    return act.view(request, code)


def _page(request: HttpRequest, code: Code, template: str, status: int = 200, **extra) -> HttpResponse:
    context = {"code": code, "entity": code.entity, "facts": selectors.code_facts(code), **extra}
    return render(request, template, context, status=status)


def inspect(request: HttpRequest, code: Code) -> HttpResponse:
    """(inspector) Grade a merchant; optionally record a violation that deducts the owner's points."""
    form = InspectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                photos = uploads_process(request.FILES.getlist("photos"), user=request.user)
                inspection = services.merchant_inspect(
                    code=code,
                    inspector=request.user,
                    grade=form.cleaned_data["grade"],
                    note=form.cleaned_data["note"],
                    violation=form.cleaned_data["violation"],
                    photos=photos,
                )
            except DomainError as err:
                add_domain_error(form, err)
            else:
                text = _("已记录检查，等级 %(grade)s。") % {"grade": inspection.grade}
                if inspection.uncivil_record_id:
                    text += " " + _("已记录不文明行为并扣减经营者积分。")
                messages.success(request, text)
                return redirect(code.path)
        status = 422
    return _page(
        request,
        code,
        "codes/inspect.html",
        status,
        form=form,
        inspections=selectors.merchant_recent_inspections(code),
    )


def violation(request: HttpRequest, code: Code) -> HttpResponse:
    """(inspector) Record uncivil behaviour of a resident, a stall's vendor or an e-bike's owner.

    The only person linked to the code is chosen already. A refused form keeps the photos it came with
    (a pending upload token in a hidden field), so a phone does not have to take them again."""
    people = services.violation_people(code)
    initial = {"person": str(people[0].pk)} if len(people) == 1 else {}
    form = ViolationForm(request.POST or None, people=people, initial=initial)
    status, held = 200, ""
    if request.method == "POST":
        held = request.POST.get("held_photos", "")
        files = request.FILES.getlist("photos")
        if form.is_valid():
            person = next(p for p in people if str(p.pk) == form.cleaned_data["person"])
            try:
                photos = uploads_with_held(files, held, user=request.user)
                record = services.code_violation_record(
                    code=code,
                    inspector=request.user,
                    person=person,
                    behaviour=form.cleaned_data["behaviour"],
                    note=form.cleaned_data["note"],
                    photos=photos,
                )
            except DomainError as err:
                add_domain_error(form, err)
                if err.field == "photos":
                    held, files = "", []  # the photos themselves were refused: choose others
            else:
                uploads_release(held, user=request.user)
                messages.success(
                    request,
                    _("已记录不文明行为，%(name)s 扣 %(n)s 分。")
                    % {"name": person.display_name, "n": record.points},
                )
                return redirect(code.path)
        if files:  # keep what was chosen this time (with what was held before)
            try:
                kept = uploads_held(held, user=request.user) + files
            except DomainError:
                kept = files
            uploads_release(held, user=request.user)
            held = uploads_hold(kept, user=request.user)
        status = 422
    return _page(
        request,
        code,
        "codes/violation.html",
        status,
        form=form,
        people=people,
        held_photos=held,
        held_count=_held_count(held, request.user),
    )


def _held_count(token: str, user) -> int:
    try:
        return len(uploads_held(token, user=user))
    except DomainError:
        return 0


def stall_check(request: HttpRequest, code: Code) -> HttpResponse:
    """Is the stall inside its permitted zone and hours right now, where the scanner stands?"""
    form = LocationForm(request.GET if "lat" in request.GET else None)
    result = None
    if form.is_bound and form.is_valid():
        result = services.stall_check(
            stall=code.stall, lat=form.cleaned_data["lat"], lon=form.cleaned_data["lon"]
        )
    return _page(request, code, "codes/stall_check.html", form=form, result=result)


def ebike_report(request: HttpRequest, code: Code) -> HttpResponse:
    """(signed in) Report the e-bike as illegally parked; its owner is notified."""
    form = EBikeReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.ebike_report_create(
                    code=code,
                    reporter=request.user,
                    lat=form.cleaned_data["lat"],
                    lon=form.cleaned_data["lon"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as err:
                add_domain_error(form, err)
            else:
                messages.success(request, _("举报已提交，已通知车主。督查员确认后计入违停记录。"))
                return redirect(code.path)
        status = 422
    return _page(request, code, "codes/ebike_report.html", status, form=form)


def ebike_confirm(request: HttpRequest, code: Code) -> HttpResponse:
    """(inspector) Confirm or dismiss pending parking reports of this e-bike."""
    error = ""
    if request.method == "POST":
        report = EBikeReport.objects.filter(pk=request.POST.get("report"), ebike=code.ebike).first()
        if report is not None:
            try:
                decided = services.ebike_report_decide(
                    report=report,
                    inspector=request.user,
                    code=code,
                    confirm=request.POST.get("decision") == "confirm",
                )
            except DomainError as err:
                error = err.message
            else:
                text = _("已确认违停。") if decided.status == "confirmed" else _("已驳回举报。")
                if decided.uncivil_record_id:
                    text += " " + _("30 天内已确认 3 次，已扣减车主积分。")
                messages.success(request, text)
                return redirect(request.path)
    return _page(
        request,
        code,
        "codes/ebike_confirm.html",
        reports=selectors.ebike_pending_reports(code),
        confirmed_recent=selectors.ebike_confirmed_recent(code),
        error=error,
    )


# --- printing (administrators) ------------------------------------------------------------------------


def _configure_only(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect(LOGIN_URL + "?" + urlencode({"next": request.get_full_path()}))
    if not user_can(request.user, Capability.CONFIGURE):
        return forbidden(request, _("只有系统管理员可以打印二维码。"))
    return None


def _code_or_404(pk: int) -> Code | None:
    return Code.objects.filter(pk=pk).first()


@require_GET
def qr_png(request: HttpRequest, pk: int) -> HttpResponse:
    if (denied := _configure_only(request)) is not None:
        return denied
    code = _code_or_404(pk)
    if code is None:
        return HttpResponse(status=404)
    response = HttpResponse(printing.qr_png(code), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="code-{code.pk}.png"'
    return response


@require_GET
def qr_svg(request: HttpRequest, pk: int) -> HttpResponse:
    if (denied := _configure_only(request)) is not None:
        return denied
    code = _code_or_404(pk)
    if code is None:
        return HttpResponse(status=404)
    response = HttpResponse(printing.qr_svg(code), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="code-{code.pk}.svg"'
    return response


@require_GET
def sheet_pdf(request: HttpRequest) -> HttpResponse:
    """?ids=1,2,3 or ?kind=merchant (active codes of a kind) → an A4 PDF with 12 codes a page."""
    if (denied := _configure_only(request)) is not None:
        return denied
    qs = Code.objects.active().order_by("id")
    if request.GET.get("ids"):
        ids = [int(x) for x in request.GET["ids"].split(",") if x.strip().isdigit()]
        qs = Code.objects.filter(pk__in=ids).order_by("id")
    elif request.GET.get("kind"):
        qs = qs.filter(kind=request.GET["kind"])
    return pdf_response(list(qs))


def pdf_response(codes: list[Code]) -> HttpResponse:
    response = HttpResponse(printing.pdf_sheet(codes), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="codes.pdf"'
    return response
