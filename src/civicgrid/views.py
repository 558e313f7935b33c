"""The project's own pages: the landing page (it counts what the domain apps hold, so it lives above
them, beside urls.py) and the media folder (photos), whose case photos are access-checked."""

import posixpath
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy
from django_sendfile import sendfile

from civicgrid.accounts.clients import api_key_user
from civicgrid.accounts.roles import Capability, is_staff_member, user_can
from civicgrid.cases.access import access_case_photo
from civicgrid.cases.models import CasePhoto
from civicgrid.core.errors import NotFound
from civicgrid.grids.models import Cell, Street
from civicgrid.taxonomy.models import Category

# What makes the workbench (/console/) useful: a step of the case loop, or the whole city's view.
CONSOLE_CAPABILITIES = (
    Capability.REGISTER,
    Capability.DISPATCH,
    Capability.HANDLE,
    Capability.SUPERVISE,
    Capability.VIEW_CITY,
)


def entry_points(user) -> tuple[list[dict], list[dict]]:
    """Where this person starts: (the citizen's entries, the staff's entries) as far as their role
    allows (accounts/roles.py). Anyone may report, read the public cases and open their own page;
    a worker also gets the workbench, the dashboard and the grid member's H5 their capabilities open,
    and the API documentation and the configuration site."""
    citizen = [
        {
            "url": reverse("mobile:report"),
            "label": gettext_lazy("随手拍"),
            "hint": gettext_lazy("拍照上报身边的问题"),
        },
        {
            "url": reverse("cases:public_list"),
            "label": gettext_lazy("公开案件"),
            "hint": gettext_lazy("看看身边的问题办得怎样"),
        },
        {
            "url": reverse("mobile:my_cases"),
            "label": gettext_lazy("我的上报"),
            "hint": gettext_lazy("我上报和附议的案件"),
        },
        {
            "url": reverse("points:home"),
            "label": gettext_lazy("我的积分"),
            "hint": gettext_lazy("积分明细与兑换"),
        },
        {
            "url": reverse("maps:map"),
            "label": gettext_lazy("一张图"),
            "hint": gettext_lazy("城市网格与公开案件地图"),
        },
    ]
    if not is_staff_member(user):
        return citizen, []
    staff = []
    if user_can(user, Capability.VERIFY_ON_SITE):
        staff.append(
            {
                "url": reverse("mobile:grid_home"),
                "label": gettext_lazy("网格员工作台"),
                "hint": gettext_lazy("巡查上报与现场核查"),
            }
        )
    if any(user_can(user, c) for c in CONSOLE_CAPABILITIES):
        staff.append(
            {
                "url": reverse("console:home"),
                "label": gettext_lazy("工作台"),
                "hint": gettext_lazy("待办案件与办理"),
            }
        )
    if user_can(user, Capability.INSPECT):
        staff.append(
            {
                "url": reverse("points:inspect"),
                "label": gettext_lazy("文明督查"),
                "hint": gettext_lazy("不文明行为扣分与申诉"),
            }
        )
    if user_can(user, Capability.VIEW_CITY):
        staff.append(
            {
                "url": reverse("dashboard:home"),
                "label": gettext_lazy("统计看板"),
                "hint": gettext_lazy("指标、排名与大屏"),
            }
        )
    staff.append(
        {"url": "/api/docs", "label": gettext_lazy("API 文档"), "hint": gettext_lazy("接口说明 (OpenAPI)")}
    )
    staff.append(
        {
            "url": reverse("admin:index"),
            "label": gettext_lazy("配置后台"),
            "hint": gettext_lazy("分类、部门、规则与账号"),
        }
    )
    return citizen, staff


def home(request):
    """The landing page: what this platform is and where each kind of user goes (`entry_points`)."""
    citizen, staff = entry_points(request.user)
    context = {
        "cell_count": Cell.objects.count(),
        "street_count": Street.objects.count(),
        "category_count": Category.objects.active().count(),
        "citizen_entries": citizen,
        "staff_entries": staff,
    }
    return render(request, "core/home.html", context)


def _viewer(request):
    """The signed-in user, or the owner of the API bearer token a machine client sends instead."""
    if request.user.is_authenticated:
        return request.user
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return api_key_user(token.strip()) or request.user
    return request.user


def media(request, path: str):
    """A file of the media folder; a case photo only for those who may see it (404 for the others).

    Sent by django-sendfile2 (settings.SENDFILE_BACKEND): streamed by the app, or an
    X-Accel-Redirect / X-Sendfile header for the web server in front.
    """
    # Only a plain relative path: no "..", no "//", no leading "/" (nothing outside the folder, and
    # no detour such as points/../cases/… round the check below).
    if not path or posixpath.normpath(path) != path or path.startswith(("/", "..")) or "\\" in path:
        raise Http404("not a media path")
    checked = path.startswith(f"{CasePhoto.FOLDER}/")
    if checked:
        try:
            access_case_photo(_viewer(request), path)
        except NotFound as exc:
            raise Http404("photo not found") from exc
    file = Path(settings.MEDIA_ROOT) / path
    if not file.is_file():  # a folder, or nothing
        raise Http404("no such file")
    response = sendfile(request, file)
    if checked:
        # Whether it was shown depends on who asked: no shared cache may keep it.
        patch_cache_control(response, private=True)
    return response
