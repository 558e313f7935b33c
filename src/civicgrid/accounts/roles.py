"""Roles and what each may do — the one place that decides.

Every page, endpoint and service asks `user_can(user, capability)`; nothing else compares a
role by name. Capabilities are plain strings so that later apps can add theirs here in one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from civicgrid.accounts.models import User


class Role(models.TextChoices):
    CITIZEN = "citizen", _("市民")
    GRID_MEMBER = "grid_member", _("网格员")
    DISPATCHER = "dispatcher", _("受理员/值班长")
    HANDLER = "handler", _("处置人员")
    DEPARTMENT_ADMIN = "department_admin", _("部门管理员")
    INSPECTOR = "inspector", _("督查员")
    LEADER = "leader", _("领导")
    ADMIN = "admin", _("系统管理员")
    AUDITOR = "auditor", _("安全审计员")


class Capability:
    """Names of the things a role may do (the values are what `user_can` is asked)."""

    REPORT = "report"  # submit a report (随手拍)
    REPORT_TRUSTED = "report_trusted"  # reports are registered without review (grid members)
    VERIFY_ON_SITE = "verify_on_site"  # 核实/核查 at the place
    REGISTER = "register"  # 立案 / 不予立案
    DISPATCH = "dispatch"  # 派遣, re-dispatch after 退回
    CLOSE = "close"  # 核查结案 / 返工
    APPROVE_EXTENSION = "approve_extension"  # 延期审批
    HANDLE = "handle"  # 签收, 处置, 处置反馈, 退回, 申请延期 (own department only)
    MANAGE_DEPARTMENT = "manage_department"  # the department's staff and queue
    INSPECT = "inspect"  # merchant/stall inspections, uncivil-behaviour deductions
    SUPERVISE = "supervise"  # 督办
    VIEW_CITY = "view_city"  # the whole map, dashboards and rankings
    VIEW_PERSONAL_DATA = "view_personal_data"  # unmasked reporter names and phones
    CONFIGURE = "configure"  # categories, departments, routing, grids, rules, codes
    USE_VOUCHERS = "use_vouchers"  # 核销 at a points counter: vouchers of rewards without a merchant account
    AUDIT_VIEW = "audit_view"  # the access audit: logins, personal-data views, exports, model changes


_STAFF_VIEW = {Capability.VIEW_CITY}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.CITIZEN: frozenset({Capability.REPORT}),
    Role.GRID_MEMBER: frozenset(
        {Capability.REPORT, Capability.REPORT_TRUSTED, Capability.VERIFY_ON_SITE, Capability.USE_VOUCHERS}
    ),
    Role.DISPATCHER: frozenset(
        {
            Capability.REPORT,
            Capability.REGISTER,
            Capability.DISPATCH,
            Capability.CLOSE,
            Capability.APPROVE_EXTENSION,
            Capability.VIEW_PERSONAL_DATA,
            *_STAFF_VIEW,
        }
    ),
    Role.HANDLER: frozenset({Capability.REPORT, Capability.HANDLE}),
    Role.DEPARTMENT_ADMIN: frozenset({Capability.REPORT, Capability.HANDLE, Capability.MANAGE_DEPARTMENT}),
    Role.INSPECTOR: frozenset({Capability.REPORT, Capability.INSPECT}),
    Role.LEADER: frozenset({Capability.REPORT, Capability.SUPERVISE, *_STAFF_VIEW}),
    Role.ADMIN: frozenset(
        {
            Capability.REPORT,
            Capability.REGISTER,
            Capability.DISPATCH,
            Capability.CLOSE,
            Capability.APPROVE_EXTENSION,
            Capability.SUPERVISE,
            Capability.VIEW_PERSONAL_DATA,
            Capability.CONFIGURE,
            Capability.USE_VOUCHERS,
            Capability.AUDIT_VIEW,
            *_STAFF_VIEW,
        }
    ),
    # Reads the audit and nothing else: no case, no map, no configuration.
    Role.AUDITOR: frozenset({Capability.AUDIT_VIEW}),
}

# Roles a command scope (grids.CommandScope: a district's or a street's command centre) applies to.
SCOPED_ROLES = frozenset({Role.DISPATCHER, Role.LEADER})
# Roles whose members belong to a department and act only on its cases.
DEPARTMENT_ROLES = frozenset({Role.HANDLER, Role.DEPARTMENT_ADMIN})


# Roles a staff manager may give: department staff only, and never a role with a capability the manager
# lacks (a department admin grants handler or department admin; an administrator, any department role).
def roles_grantable_by(user: User | None) -> list[str]:
    """The department roles `user` may give in the staff page (empty if they manage no staff)."""
    own = capabilities_of(user)
    if Capability.CONFIGURE in own:
        return [r for r in Role.values if r in DEPARTMENT_ROLES]
    if Capability.MANAGE_DEPARTMENT not in own:
        return []
    return [r for r in Role.values if r in DEPARTMENT_ROLES and ROLE_CAPABILITIES[r] <= own]


# Roles that work in the staff console and may use the Django admin where their capability allows.
STAFF_ROLES = frozenset(set(Role) - {Role.CITIZEN})


def is_staff_member(user: User | None) -> bool:
    """Does the user work in the staff console (an active staff role, or a superuser)?"""
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in STAFF_ROLES)
    )


def capabilities_of(user: User | None) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ROLE_CAPABILITIES[Role.ADMIN]
    return ROLE_CAPABILITIES.get(user.role, frozenset())


def user_can(user: User | None, capability: str) -> bool:
    """May `user` do `capability` at all? (Department scoping is checked by the access functions.)"""
    return capability in capabilities_of(user)


# Roles that must confirm a sign-in with a one-time code when CIVICGRID_OTP_REQUIRED is on (等保 2.0 双因素).
SECOND_FACTOR_ROLES = frozenset({Role.ADMIN, Role.LEADER})


def needs_second_factor(user: User | None) -> bool:
    """Must this signed-in person confirm their sign-in with a TOTP code (setting CIVICGRID_OTP_REQUIRED)?"""
    from django.conf import settings

    return (
        settings.CIVICGRID_OTP_REQUIRED
        and is_staff_member(user)
        and (user.is_superuser or user.role in SECOND_FACTOR_ROLES)
    )
