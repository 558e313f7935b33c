"""Pages of the volunteer records: the public certificate verification (/v/cert/<code>/), the citizen's
own certificate (/v/me/certificate.pdf) and the organisers' record export (/v/records/export/)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicgrid.core.errors import DomainError
from civicgrid.grids.models import Street
from civicgrid.volunteers import certificates, export
from civicgrid.volunteers.models import Team, VolunteerProfile
from civicgrid.web import forbidden, mobile_login_required


@require_GET
def certificate_page(request: HttpRequest, code: str) -> HttpResponse:
    """Anyone who scans a certificate's QR code: is it genuine (then its figures), revoked, or not?"""
    result = certificates.certificate_verify(code)
    status = 404 if result.certificate is None else 200
    response = render(
        request,
        "volunteers/records/verify.html",
        {"result": result, "Status": certificates.Status},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
@mobile_login_required
def my_certificate(request: HttpRequest) -> HttpResponse:
    """我的志愿服务证明: the signed-in volunteer's certificate of their whole record, as a PDF."""
    volunteer = VolunteerProfile.objects.filter(user=request.user).first()
    if volunteer is None:
        raise Http404(_("您还不是注册志愿者。"))
    try:
        cert = certificates.certificate_current(volunteer=volunteer)
    except DomainError as err:
        return forbidden(request, err.message)
    response = HttpResponse(certificates.certificate_pdf(cert), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="volunteer-certificate-{volunteer.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@mobile_login_required
def records_export_page(request: HttpRequest) -> HttpResponse:
    """志愿服务记录导出: without a choice, the teams and streets this person may export; with
    `team=<id>` or `street=<code>` and `format=csv|xlsx`, the file (recorded in the access audit)."""
    team_id, street_code = request.GET.get("team"), request.GET.get("street")
    if not team_id and not street_code:
        teams, streets = export.exportable_scopes(request.user)
        if not teams and not streets:
            return forbidden(request, _("您没有可导出的志愿服务记录。"))
        return render(request, "volunteers/records/export.html", {"teams": teams, "streets": streets})
    team = street = None
    if team_id:
        team = Team.objects.filter(pk=int(team_id)).first() if team_id.isdigit() else None
    else:
        street = Street.objects.filter(code=street_code.strip()).first()
    if team is None and street is None:
        raise Http404(_("没有这个队伍或街道。"))
    try:
        result = export.records_export(
            team=team,
            street=street,
            fmt=request.GET.get("format") or "csv",
            actor=request.user,
            request=request,
        )
    except DomainError as err:
        if err.status == 403:
            return forbidden(request, err.message)
        return render(request, "volunteers/records/export.html", {"error": err.message}, status=err.status)
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
