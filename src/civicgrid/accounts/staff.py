"""A department's staff, managed by its department admin (人员管理): who may manage whom, and the writes.

A department admin (capability MANAGE_DEPARTMENT) manages the staff of their department and of its
sections (the departments below it); an administrator (CONFIGURE) those of every department. Only
department roles are managed here (`roles.DEPARTMENT_ROLES`), and a manager never gives a role with a
capability they lack (`roles.roles_grantable_by`). Someone outside the manager's departments is
"not found", never told apart from a number that does not exist. Every write returns a `StaffChange`
that the caller records in the access audit in the same transaction.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import DEPARTMENT_ROLES, Capability, Role, roles_grantable_by, user_can
from civicgrid.accounts.services import _clean_phone, user_create
from civicgrid.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from civicgrid.core.text import text_check

# A temporary password: 12 characters without look-alikes (0/O, 1/l/I), shown once to the manager.
TEMP_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMP_PASSWORD_LENGTH = 12
IMPORT_MAX_ROWS = 1000
IMPORT_MAX_BYTES = 5 * 1024 * 1024
# The columns of the import template, in order.
IMPORT_COLUMNS = ["手机号", "姓名", "角色", "部门编码"]


@dataclass(frozen=True)
class StaffChange:
    """What a manager changed, for the access audit: the action, whose account, before and after."""

    action: str
    person: User
    detail: dict = field(default_factory=dict)


def _require_manager(actor: User) -> None:
    if not (user_can(actor, Capability.MANAGE_DEPARTMENT) or user_can(actor, Capability.CONFIGURE)):
        raise PermissionDenied(
            "staff_forbidden", "只有部门管理员可以管理人员", "only a department admin may manage staff"
        )


def may_manage_staff(user: User | None) -> bool:
    return bool(roles_grantable_by(user)) and (
        user_can(user, Capability.CONFIGURE) or getattr(user, "department_id", None) is not None
    )


def managed_departments(actor: User) -> QuerySet[Department]:
    """The departments whose staff `actor` manages: their own and every one below it (all for an admin)."""
    if user_can(actor, Capability.CONFIGURE):
        return Department.objects.all()
    if not user_can(actor, Capability.MANAGE_DEPARTMENT) or actor.department_id is None:
        return Department.objects.none()
    ids, frontier = [actor.department_id], [actor.department_id]
    while frontier:
        frontier = list(Department.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        ids.extend(frontier)
    return Department.objects.filter(id__in=ids)


def staff_of(actor: User) -> QuerySet[User]:
    """The department staff `actor` manages, active or not."""
    return (
        User.objects.filter(role__in=DEPARTMENT_ROLES, department__in=managed_departments(actor))
        .select_related("department")
        .order_by("department__code", "-is_active", "real_name", "id")
    )


def _person(actor: User, person: User) -> User:
    _require_manager(actor)
    locked = User.objects.select_for_update().filter(pk=person.pk).first()
    if locked is None or not staff_of(actor).filter(pk=person.pk).exists():
        raise NotFound("staff_not_found", "本部门没有这名人员", "no such person in your department")
    return locked


def _not_self(actor: User, person: User, what_zh: str, what_en: str) -> None:
    if actor.pk == person.pk:
        raise DomainError(
            "staff_self",
            f"不能{what_zh}自己的账号，请由另一位管理员处理",
            f"you cannot {what_en} your own account: another admin must",
        )


def _role(actor: User, role: str) -> str:
    if role not in roles_grantable_by(actor):
        raise PermissionDenied(
            "role_not_grantable",
            "不能授予这个角色（只能授予部门角色，且不高于您自己的角色）",
            "you cannot give this role (department roles only, none above your own)",
            field="role",
        )
    return role


def _department(actor: User, department: Department | None) -> Department:
    if department is None or not managed_departments(actor).filter(pk=department.pk).exists():
        raise PermissionDenied(
            "department_not_managed",
            "只能安排到本部门或下属科室",
            "staff can only be placed in your department or its sections",
            field="department",
        )
    return department


@transaction.atomic
def staff_add(
    *, actor: User, phone: str, real_name: str, role: str, department: Department | None
) -> StaffChange:
    """Add a person by phone: a new account, or a citizen's account made staff (no password: SMS login,
    or a temporary password from `staff_password_reset`)."""
    _require_manager(actor)
    phone = _clean_phone(phone)
    real_name = text_check(real_name, field="real_name", max_length=40)
    if not real_name:
        raise DomainError("real_name_required", "请填写姓名", "enter the person's name", field="real_name")
    role = _role(actor, role)
    department = _department(actor, department)
    person = User.objects.select_for_update().filter(phone=phone).first()
    if person is None:
        person = user_create(phone=phone, real_name=real_name, role=role, department=department)
        return StaffChange(
            "staff_add", person, {"created": True, "role": role, "department": department.code}
        )
    if person.role in DEPARTMENT_ROLES and staff_of(actor).filter(pk=person.pk).exists():
        raise Conflict(
            "staff_exists",
            "这个手机号已是本部门人员",
            "this number already belongs to your staff",
            field="phone",
        )
    if person.role != Role.CITIZEN or person.is_superuser or not person.is_active:
        raise Conflict(
            "phone_taken",
            "这个手机号已是其他部门或其他岗位的账号，请联系系统管理员",
            "this number belongs to another department's or role's account: ask the administrator",
            field="phone",
        )
    person.real_name, person.role, person.department, person.is_staff = real_name, role, department, True
    person.full_clean(exclude=["password"])
    person.save(update_fields=["real_name", "role", "department", "is_staff"])
    return StaffChange("staff_add", person, {"created": False, "role": role, "department": department.code})


@transaction.atomic
def staff_role_set(*, actor: User, person: User, role: str) -> StaffChange:
    person = _person(actor, person)
    _not_self(actor, person, "修改", "change")
    before = person.role
    person.role = _role(actor, role)
    person.save(update_fields=["role"])
    return StaffChange("staff_role", person, {"before": before, "after": person.role})


@transaction.atomic
def staff_active_set(*, actor: User, person: User, active: bool) -> StaffChange:
    """Deactivate (停用: no sign-in, sessions end) or reactivate an account."""
    person = _person(actor, person)
    _not_self(actor, person, "停用", "deactivate")
    person.is_active = bool(active)
    person.save(update_fields=["is_active"])
    return StaffChange("staff_activate" if active else "staff_deactivate", person)


@transaction.atomic
def staff_move(*, actor: User, person: User, department: Department | None) -> StaffChange:
    """Move a person to another section (科室) of the manager's department."""
    person = _person(actor, person)
    before = person.department.code
    person.department = _department(actor, department)
    person.save(update_fields=["department"])
    return StaffChange("staff_move", person, {"before": before, "after": person.department.code})


@transaction.atomic
def staff_password_reset(*, actor: User, person: User) -> tuple[StaffChange, str]:
    """A new temporary password, returned once (never stored in clear); the person's sessions end."""
    person = _person(actor, person)
    _not_self(actor, person, "重置", "reset")
    raw = "".join(secrets.choice(TEMP_PASSWORD_ALPHABET) for _ in range(TEMP_PASSWORD_LENGTH))
    person.set_password(raw)
    person.save(update_fields=["password"])
    return StaffChange("staff_password_reset", person), raw


# --- bulk import from a spreadsheet (.xlsx) --------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int  # the spreadsheet's row number (the header is row 1)
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message_zh} (row {self.row}: {self.message_en})"


class StaffImportError(DomainError):
    """The spreadsheet was refused; `problems` lists every bad row. Nothing was written."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        head = problems[0]
        more = f"（另有 {len(problems) - 1} 处）" if len(problems) > 1 else ""
        more_en = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            "staff_import_invalid",
            f"表格有误，未导入任何人员：第 {head.row} 行 {head.message_zh}{more}",
            f"spreadsheet refused, nobody imported: row {head.row}: {head.message_en}{more_en}",
            field="file",
        )


def _role_from_cell(value: str) -> str | None:
    """A role given by its value (handler) or its Chinese name (处置人员)."""
    value = value.strip()
    for role, label in Role.choices:
        if value == role or value == str(label).split(" ")[0] or value == str(label):
            return role
    return None


def staff_template(*, departments: list[Department]) -> bytes:
    """The import template: the header row, an example row and the manager's choices beside."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "人员"
    sheet.append(IMPORT_COLUMNS)
    sheet.append(["13800000000", "张三", "处置人员", departments[0].code if departments else ""])
    for col in "ABCD":
        sheet.column_dimensions[col].width = 18
    help_sheet = book.create_sheet("说明")
    help_sheet.append(["角色可填", "处置人员 或 部门管理员"])
    help_sheet.append(["导入规则", "任何一行有误则整表不导入，并列出出错的行号"])
    help_sheet.append(["部门编码", "部门名称"])
    for department in departments:
        help_sheet.append([department.code, department.name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell_text(value: object) -> str:
    """A cell as text: a phone typed as a number (13800000000 or 13800000000.0) keeps its digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    if len(data) > IMPORT_MAX_BYTES:
        raise StaffImportError([RowProblem(0, "文件超过 5 MB", "the file is over 5 MB")])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not .xlsx
        raise StaffImportError(
            [RowProblem(0, "不是有效的 Excel (.xlsx) 文件", "not a valid Excel (.xlsx) file")]
        ) from exc
    try:
        sheet = book.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values[: len(IMPORT_COLUMNS)]]
            cells += [""] * (len(IMPORT_COLUMNS) - len(cells))
            if any(cells):
                rows.append((number, cells))
            if len(rows) > IMPORT_MAX_ROWS + 1:
                raise StaffImportError(
                    [RowProblem(number, f"最多 {IMPORT_MAX_ROWS} 行", f"at most {IMPORT_MAX_ROWS} rows")]
                )
    finally:
        book.close()
    if not rows or rows[0][1][:2] != IMPORT_COLUMNS[:2]:
        raise StaffImportError(
            [
                RowProblem(
                    1,
                    "表头应为：" + "、".join(IMPORT_COLUMNS) + "（请使用下载的模板）",
                    "the header must be: " + ", ".join(IMPORT_COLUMNS) + " (use the template)",
                )
            ]
        )
    return rows[1:]


def staff_import(*, actor: User, data: bytes) -> list[StaffChange]:
    """Add every row of the spreadsheet, or none: each bad row is reported with its row number."""
    _require_manager(actor)
    rows = _rows(data)
    if not rows:
        raise StaffImportError([RowProblem(2, "表格中没有人员", "the spreadsheet lists nobody")])
    departments = {d.code: d for d in managed_departments(actor)}
    problems: list[RowProblem] = []
    changes: list[StaffChange] = []
    seen: dict[str, int] = {}
    with transaction.atomic():
        for number, (phone, name, role_text, dept_code) in rows:
            role = _role_from_cell(role_text)
            if role is None:
                problems.append(
                    RowProblem(number, f"角色“{role_text}”无法识别", f"unknown role {role_text!r}")
                )
                continue
            if phone in seen:
                problems.append(
                    RowProblem(
                        number, f"手机号与第 {seen[phone]} 行重复", f"the phone repeats row {seen[phone]}"
                    )
                )
                continue
            seen[phone] = number
            try:
                with transaction.atomic():
                    changes.append(
                        staff_add(
                            actor=actor,
                            phone=phone,
                            real_name=name,
                            role=role,
                            department=departments.get(dept_code),
                        )
                    )
            except DomainError as err:
                problems.append(RowProblem(number, err.message_zh, err.message_en))
        if problems:
            raise StaffImportError(problems)  # rolls back the rows already added
    return changes
