"""人员管理: a department admin manages the staff of their department and its sections.

The rules are `accounts.staff`'s; every change is written to the access audit in the transaction that
makes it. A refused change re-renders the page with the reason (4xx) and changes nothing; a
temporary password is shown once, in the answer to the reset, which no cache keeps.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicgrid.accounts import staff
from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Role, roles_grantable_by
from civicgrid.audit.services import staff_change_record
from civicgrid.console.views import _page, staff_required
from civicgrid.core.errors import DomainError

ROLE_LABELS = dict(Role.choices)
PEOPLE_SHOWN = 500


def _denied(request: HttpRequest) -> HttpResponse:
    return _page(request, "console/denied.html", {"reason": _("只有部门管理员可以管理人员。")}, status=403)


def _staff_page(
    request: HttpRequest,
    *,
    status: int = 200,
    error: DomainError | None = None,
    form: str = "",
    problems: list | None = None,
    temp_password: tuple[User, str] | None = None,
) -> HttpResponse:
    actor = request.user
    departments = list(staff.managed_departments(actor).order_by("code"))
    people = staff.staff_of(actor)
    query = (request.GET.get("q") or "").strip()[:40]
    shown_department = request.GET.get("in", "")
    if query:
        people = people.filter(Q(real_name__contains=query) | Q(phone__contains=query))
    if shown_department.isdigit():
        people = people.filter(department_id=int(shown_department))
    context = {
        "people": list(people[:PEOPLE_SHOWN]),
        "people_shown": PEOPLE_SHOWN,
        "query": query,
        "shown_department": shown_department,
        "departments": departments,
        "roles": [(r, ROLE_LABELS[r]) for r in roles_grantable_by(actor)],
        "error": error,
        "failed_form": form,
        "problems": problems or [],
        "submitted": request.POST if error else {},
        "temp_password": temp_password,
        "import_max_rows": staff.IMPORT_MAX_ROWS,
    }
    response = _page(request, "console/staff.html", context, status=status)
    patch_cache_control(response, private=True, no_store=True)
    return response


def manager_required(view):
    """Staff who manage no one's staff get the console's refusal (403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not staff.may_manage_staff(request.user):
            return _denied(request)
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def _department(request: HttpRequest) -> Department | None:
    raw = request.POST.get("department", "")
    return Department.objects.filter(pk=int(raw)).first() if raw.isdigit() else None


def _person(request: HttpRequest, pk: int) -> User:
    # Unknown, or not the manager's: the service answers "not found" for both.
    return User.objects.filter(pk=pk).first() or User(pk=pk)


def _record(request: HttpRequest, change: staff.StaffChange) -> None:
    staff_change_record(actor=request.user, request=request, change=change)


@require_GET
@manager_required
def staff_list(request: HttpRequest) -> HttpResponse:
    return _staff_page(request)


@require_POST
@manager_required
def staff_add(request: HttpRequest) -> HttpResponse:
    try:
        with transaction.atomic():
            change = staff.staff_add(
                actor=request.user,
                phone=request.POST.get("phone", ""),
                real_name=request.POST.get("real_name", ""),
                role=request.POST.get("role", ""),
                department=_department(request),
            )
            _record(request, change)
    except DomainError as err:
        return _staff_page(request, status=err.status, error=err, form="add")
    if change.detail.get("created"):
        text = _("已添加人员 %(name)s，可用短信验证码登录，或为其重置密码") % {
            "name": change.person.real_name
        }
    else:
        text = _("已将已有账号 %(name)s 加入本部门") % {"name": change.person.real_name}
    messages.success(request, text)
    return redirect("console:staff")


def _person_change(request: HttpRequest, pk: int, change_of) -> HttpResponse:
    try:
        with transaction.atomic():
            change = change_of(_person(request, pk))
            _record(request, change)
    except DomainError as err:
        return _staff_page(request, status=err.status, error=err, form=f"person-{pk}")
    return change


@require_POST
@manager_required
def staff_role(request: HttpRequest, pk: int) -> HttpResponse:
    role = request.POST.get("role", "")
    result = _person_change(
        request, pk, lambda p: staff.staff_role_set(actor=request.user, person=p, role=role)
    )
    if isinstance(result, HttpResponse):
        return result
    messages.success(
        request,
        _("已将 %(name)s 的角色改为 %(role)s") % {"name": result.person.real_name, "role": ROLE_LABELS[role]},
    )
    return redirect("console:staff")


@require_POST
@manager_required
def staff_move(request: HttpRequest, pk: int) -> HttpResponse:
    department = _department(request)
    result = _person_change(
        request, pk, lambda p: staff.staff_move(actor=request.user, person=p, department=department)
    )
    if isinstance(result, HttpResponse):
        return result
    messages.success(
        request,
        _("已将 %(name)s 调到 %(department)s")
        % {"name": result.person.real_name, "department": result.person.department.name},
    )
    return redirect("console:staff")


@require_POST
@manager_required
def staff_active(request: HttpRequest, pk: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    result = _person_change(
        request, pk, lambda p: staff.staff_active_set(actor=request.user, person=p, active=active)
    )
    if isinstance(result, HttpResponse):
        return result
    text = _("已启用 %(name)s 的账号") if active else _("已停用 %(name)s 的账号")
    messages.success(request, text % {"name": result.person.real_name})
    return redirect("console:staff")


@require_POST
@manager_required
def staff_password(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        with transaction.atomic():
            change, raw = staff.staff_password_reset(actor=request.user, person=_person(request, pk))
            _record(request, change)
    except DomainError as err:
        return _staff_page(request, status=err.status, error=err, form=f"person-{pk}")
    return _staff_page(request, temp_password=(change.person, raw))


@require_POST
@manager_required
def staff_import(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise DomainError("file_required", "请选择 .xlsx 文件", "choose an .xlsx file", field="file")
        if upload.size > staff.IMPORT_MAX_BYTES:
            raise staff.StaffImportError([staff.RowProblem(0, "文件超过 5 MB", "the file is over 5 MB")])
        with transaction.atomic():
            changes = staff.staff_import(actor=request.user, data=upload.read())
            for change in changes:
                _record(request, change)
    except staff.StaffImportError as err:
        return _staff_page(request, status=err.status, error=err, form="import", problems=err.problems)
    except DomainError as err:
        return _staff_page(request, status=err.status, error=err, form="import")
    messages.success(request, _("已导入 %(count)s 名人员") % {"count": len(changes)})
    return redirect("console:staff")


@require_GET
@manager_required
def staff_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        staff.staff_template(departments=list(staff.managed_departments(request.user))),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="staff-import-template.xlsx"'
    return response
