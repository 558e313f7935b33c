"""What `civicgrid demo` tells while it works (the steps, their counts and times) and at the end
(the accounts to sign in with, and a code to scan)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case
from civicgrid.codes.choices import CodeKind
from civicgrid.codes.models import Code
from civicgrid.taxonomy.models import RoutingRule

STAFF_ROLES = (Role.HANDLER, Role.DEPARTMENT_ADMIN)


class Progress:
    """Numbered steps on `write`, each with what it did and how long it took."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.started = time.monotonic()
        self.number = 0
        self.step_started = self.started

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:,.1f} s"

    @contextmanager
    def step(self, label: str) -> Iterator[Callable[[str], None]]:
        """`with progress.step("…") as done: …; done("3000 cases")`."""
        self.number += 1
        self.step_started = time.monotonic()
        self.write(f"[{self.number}] {label} …")
        result: list[str] = []
        yield result.append
        took = time.monotonic() - self.step_started
        what = f"{result[-1]}, " if result else ""
        self.write(f"    {what}{took:,.1f} s (total {self.elapsed()})")

    def cases(self, done: int, count: int) -> None:
        """A line every few hundred cases of a long step, with the rate and the time left."""
        took = time.monotonic() - self.step_started
        rate = done / took if took > 0 else 0.0
        left = (count - done) / rate if rate else 0.0
        self.write(f"    {done:,} / {count:,} cases ({rate:,.1f}/s, about {left:,.0f} s left)")


def receiving_departments() -> list[Department]:
    """The departments cases go to: those a routing rule names or a case was dispatched to."""
    return list(
        Department.objects.filter(
            Q(Exists(RoutingRule.objects.filter(department=OuterRef("pk"))))
            | Q(Exists(Case.objects.filter(department=OuterRef("pk"))))
        ).order_by("code")
    )


def accounts_lines(password: str) -> list[str]:
    """Every role's account and the staff account of every department that receives cases."""
    lines = [f"Accounts (phone = username; password for all: {password})", "  Roles:"]
    for role in Role:
        user = User.objects.filter(role=role, is_active=True).order_by("phone").first()
        if user is not None:
            where = f" ({user.department.name})" if user.department_id else ""
            lines.append(f"    {role.label:<32} {user.phone}  {user.real_name}{where}")
    lines.append("  Departments that receive cases:")
    for department in receiving_departments():
        user = (
            User.objects.filter(department=department, role__in=STAFF_ROLES, is_active=True)
            .order_by("role", "phone")
            .first()
        )
        account = (
            f"{user.phone}  {user.real_name} ({Role(user.role).label})" if user else "— no staff account"
        )
        lines.append(f"    {department.code:<10} {department.name:<16} {account}")
    return lines


def site_lines(bind: str | None) -> list[str]:
    """The addresses to open, from SITE_URL (what QR codes carry); a warning when the server is to
    listen elsewhere (`bind`, host:port), since the codes would then point at nothing."""
    site = settings.SITE_URL.rstrip("/")
    lines = [f"  Site      {site}/", f"  Admin     {site}/admin/", f"  API docs  {site}/api/docs"]
    code = Code.objects.filter(kind=CodeKind.HOUSEHOLD).order_by("id").first()
    if code is not None and code.token:
        lines.append(f"  A household QR code (码上生活): {code.url}")
    if bind:
        served = urlsplit(f"//{bind}")
        parts = urlsplit(site)
        if served.port and (parts.port or (443 if parts.scheme == "https" else 80)) != served.port:
            lines.append(
                f"  Note: the server listens on {bind} but SITE_URL is {site}: codes point at SITE_URL "
                "(set SITE_URL to the address people open)"
            )
    return lines
