"""What a scanner may do on a code's page: a registry of actions per code kind.

The scan page lists `actions_for(code, user)`; an action either links elsewhere (`href`, e.g. the
随手拍 form prefilled) or is served by its own `view` under /c/<token>/a/<name>/. A later
capability adds its entry with `register(kind, Action(...))` from its AppConfig.ready() — the
scan view and the URLs stay untouched (e.g. volunteers: `register("place", Action("checkin", …))`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.roles import Capability, user_can
from civicgrid.codes.choices import CodeKind
from civicgrid.codes.models import Code

Predicate = Callable[[object, Code], bool]


@dataclass(frozen=True)
class Action:
    """One thing a scanner can do. `allowed(user, code)`; exactly one of `view` and `href` is set.

    `login` actions are offered to anonymous scanners too: following them asks them to sign in
    (a phone number is enough to sign up), and `allowed` is checked again once they have.
    """

    name: str
    label: str
    allowed: Predicate
    view: Callable[[HttpRequest, Code], HttpResponse] | None = None
    href: Callable[[Code], str] | None = None
    login: bool = False
    style: str = field(default="")

    def url(self, code: Code) -> str:
        if self.href is not None:
            return self.href(code)
        return reverse("codes:action", args=[code.token, self.name])

    def permits(self, user, code: Code) -> bool:
        if not getattr(user, "is_authenticated", False):
            return self.login
        return self.allowed(user, code)


ACTIONS: dict[str, list[Action]] = {kind: [] for kind in CodeKind.values}


def register(kind: str, action: Action) -> None:
    """Add (or replace, by name) an action for a kind of code."""
    ACTIONS[kind] = [a for a in ACTIONS[kind] if a.name != action.name] + [action]


def actions_for(code: Code, user) -> list[Action]:
    return [a for a in ACTIONS[code.kind] if a.permits(user, code)]


def action_get(code: Code, name: str) -> Action | None:
    return next((a for a in ACTIONS[code.kind] if a.name == name), None)


# --- predicates ----------------------------------------------------------------------------------------


def can_report(user, code: Code) -> bool:
    return user_can(user, Capability.REPORT)


def can_inspect(user, code: Code) -> bool:
    return user_can(user, Capability.INSPECT)


def anyone(user, code: Code) -> bool:
    return True


def signed_in(user, code: Code) -> bool:
    return bool(user.is_authenticated)


# --- the report link -----------------------------------------------------------------------------------


def report_href(code: Code) -> str:
    """The 随手拍 form with the code's location, address, component and source prefilled."""
    from civicgrid.codes.services import code_address, code_point

    lat, lon = code_point(code)
    params: dict[str, str] = {}
    if lat is not None and lon is not None:
        params.update(lat=f"{lat:.6f}", lon=f"{lon:.6f}")
    params["address"] = code_address(code)
    if code.kind == CodeKind.PLACE:
        params["category"] = f"component:{code.place.category.code}"
    params["source_ref"] = code.source_ref
    return reverse("mobile:report") + "?" + urlencode(params)


def _register_builtin() -> None:
    from civicgrid.codes import views

    report = Action("report", _("上报问题"), can_report, href=report_href, login=True, style="primary")
    violation = Action("violation", _("记录不文明行为"), can_inspect, view=views.violation, style="danger")
    register(CodeKind.HOUSEHOLD, report)
    register(CodeKind.HOUSEHOLD, violation)
    register(CodeKind.PLACE, report)
    register(CodeKind.MERCHANT, report)
    register(
        CodeKind.MERCHANT, Action("inspect", _("检查评级"), can_inspect, view=views.inspect, style="danger")
    )
    register(
        CodeKind.STALL,
        Action(
            "stall_check",
            _("核验摊位是否在允许区域和时段内"),
            anyone,
            view=views.stall_check,
            login=True,
            style="primary",
        ),
    )
    register(CodeKind.STALL, report)
    register(CodeKind.STALL, violation)
    register(
        CodeKind.EBIKE,
        Action(
            "ebike_report", _("举报违规停放"), signed_in, view=views.ebike_report, login=True, style="primary"
        ),
    )
    register(
        CodeKind.EBIKE, Action("ebike_confirm", _("确认违停举报"), can_inspect, view=views.ebike_confirm)
    )
    register(CodeKind.EBIKE, violation)
