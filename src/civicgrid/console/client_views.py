"""API 客户端: the clients that call the API (a bureau's system, the 12345 hotline, a platform, a civic
app), their keys, and the log of their calls.

An administrator manages every client; a department admin the department systems of their department
(accounts.clients: what each may grant). A new key is shown once, in the answer to the POST that made
it, which no cache keeps. The call log (接口调用日志) is for auditors and administrators (every call) and
department admins (their clients' calls).
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicgrid.accounts import clients as services
from civicgrid.accounts.models import ApiClient, ApiClientKind, Department
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.accounts.scopes import Scope
from civicgrid.accounts.staff import managed_departments
from civicgrid.audit.selectors import (
    STATUS_CLASSES,
    ApiCallFilter,
    api_calls_search,
    api_calls_visible_to,
    may_read_api_calls,
)
from civicgrid.console.views import _page, staff_required
from civicgrid.core import clock
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.grids.models import Street

KIND_LABELS = dict(ApiClientKind.choices)
SCOPE_LABELS = dict(Scope.choices)
CALLS_PER_PAGE = 50


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True)
    return response


def client_manager_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not services.may_manage_clients(request.user):
            return _page(
                request,
                "console/denied.html",
                {"reason": _("只有系统管理员或部门管理员可以管理 API 客户端。")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


# --- reading the form ----------------------------------------------------------------------------


def _streets(request: HttpRequest) -> list[str]:
    codes = sorted(
        {c for c in request.POST.get("streets", "").replace(",", " ").replace("，", " ").split() if c}
    )
    known = set(Street.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise DomainError(
            "street_unknown",
            f"没有这些街道编码：{', '.join(unknown[:5])}",
            f"no street has the code: {', '.join(unknown[:5])}",
            field="streets",
        )
    return codes


def _int(request: HttpRequest, name: str, default: int) -> int:
    raw = request.POST.get(name, "").strip()
    if raw == "":
        return default
    if not raw.lstrip("-").isdigit() or len(raw) > 9:
        raise DomainError("number_invalid", "请输入整数", "enter a whole number", field=name)
    return int(raw)


def _department(request: HttpRequest) -> Department | None:
    raw = request.POST.get("department", "")
    return Department.objects.filter(pk=int(raw)).first() if raw.isdigit() else None


def _client_or_404(request: HttpRequest, pk: int) -> ApiClient:
    client = (
        services.clients_managed_by(request.user).select_related("department", "user").filter(pk=pk).first()
    )
    if client is None:
        raise NotFound("client_not_found", "没有这个客户端", "no such client")
    return client


def _key_live(key, now) -> bool:
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


# --- pages ---------------------------------------------------------------------------------------


def _scope_choices(actor) -> list[tuple[str, str]]:
    return [(s, SCOPE_LABELS[s]) for s in services.scopes_grantable_by(actor)]


def _list_page(request: HttpRequest, *, status: int = 200, error: DomainError | None = None) -> HttpResponse:
    actor = request.user
    now = clock.now()
    clients = list(
        services.clients_managed_by(actor)
        .select_related("department")
        .prefetch_related("keys")
        .order_by("-is_active", "name", "id")
    )
    for client in clients:
        client.live_keys = [k for k in client.keys.all() if _key_live(k, now)]
        client.scope_labels = [SCOPE_LABELS.get(s, s) for s in client.scopes]
    context = {
        "clients": clients,
        "kinds": [(k, KIND_LABELS[k]) for k in services.kinds_creatable_by(actor)],
        "departments": list(managed_departments(actor).order_by("code")),
        "scope_choices": _scope_choices(actor),
        "restricted_scopes": [
            SCOPE_LABELS[s]
            for s in SCOPE_LABELS
            if s != Scope.PUBLIC and s not in services.scopes_grantable_by(actor)
        ],
        "error": error,
        "submitted": request.POST if error else {},
        "submitted_scopes": request.POST.getlist("scopes") if error else [],
    }
    return _private(_page(request, "console/clients/list.html", context, status=status))


def _detail_page(
    request: HttpRequest,
    client: ApiClient,
    *,
    status: int = 200,
    error: DomainError | None = None,
    failed_form: str = "",
    new_key: tuple | None = None,
) -> HttpResponse:
    client = _client_or_404(request, client.pk)
    keys = list(client.keys.order_by("-created_at", "-id"))
    now = clock.now()
    for key in keys:
        key.live = _key_live(key, now)
    context = {
        "client": client,
        "kind_label": KIND_LABELS.get(client.kind, client.kind),
        "keys": keys,
        "scope_choices": _scope_choices(request.user),
        "kept_scopes": [
            (s, SCOPE_LABELS.get(s, s))
            for s in client.scopes
            if s not in services.scopes_grantable_by(request.user)
        ],
        "checked_scopes": request.POST.getlist("scopes")
        if error and failed_form == "edit"
        else client.scopes,
        "submitted": request.POST if error else {},
        "error": error,
        "failed_form": failed_form,
        "new_key": new_key,
        "calls_url": _calls_url(client=client.pk),
    }
    return _private(_page(request, "console/clients/detail.html", context, status=status))


def _calls_url(**params) -> str:
    return reverse("console:api_calls") + "?" + urlencode({k: v for k, v in params.items() if v})


@require_GET
@client_manager_required
def client_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


@require_POST
@client_manager_required
def client_add(request: HttpRequest) -> HttpResponse:
    try:
        client = services.api_client_register(
            actor=request.user,
            name=request.POST.get("name", ""),
            kind=request.POST.get("kind", ""),
            department=_department(request),
            contact_name=request.POST.get("contact_name", ""),
            contact_phone=request.POST.get("contact_phone", ""),
            scopes=request.POST.getlist("scopes"),
            streets=_streets(request),
            rate_limit_per_minute=_int(request, "rate_limit_per_minute", 600),
        )
    except DomainError as err:
        return _list_page(request, status=err.status, error=err)
    messages.success(request, _("已创建客户端 %(name)s，请签发密钥") % {"name": client.name})
    return redirect("console:client", pk=client.pk)


def _or_404(view):
    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
        try:
            client = _client_or_404(request, pk)
        except NotFound:
            return _page(
                request,
                "console/denied.html",
                {"reason": _("没有这个客户端，或不在您的管理范围内。")},
                status=404,
            )
        return view(request, client, *args, **kwargs)

    return wrapper


@require_GET
@client_manager_required
@_or_404
def client_detail(request: HttpRequest, client: ApiClient) -> HttpResponse:
    return _detail_page(request, client)


@require_POST
@client_manager_required
@_or_404
def client_edit(request: HttpRequest, client: ApiClient) -> HttpResponse:
    try:
        services.api_client_update(
            actor=request.user,
            client=client,
            scopes=request.POST.getlist("scopes"),
            streets=_streets(request),
            rate_limit_per_minute=_int(request, "rate_limit_per_minute", -1),
            contact_name=request.POST.get("contact_name", ""),
            contact_phone=request.POST.get("contact_phone", ""),
        )
    except DomainError as err:
        return _detail_page(request, client, status=err.status, error=err, failed_form="edit")
    messages.success(request, _("已保存"))
    return redirect("console:client", pk=client.pk)


@require_POST
@client_manager_required
@_or_404
def client_active(request: HttpRequest, client: ApiClient) -> HttpResponse:
    active = request.POST.get("active") == "1"
    services.api_client_set_active(actor=request.user, client=client, active=active)
    messages.success(request, _("已启用客户端") if active else _("已停用客户端，其密钥立即失效"))
    return redirect("console:client", pk=client.pk)


@require_POST
@client_manager_required
@_or_404
def key_issue(request: HttpRequest, client: ApiClient) -> HttpResponse:
    key, raw = services.api_client_key_issue(actor=request.user, client=client)
    return _detail_page(request, client, new_key=(key, raw))


@require_POST
@client_manager_required
@_or_404
def key_rotate(request: HttpRequest, client: ApiClient) -> HttpResponse:
    try:
        key, raw = services.api_client_key_rotate(
            actor=request.user, client=client, overlap_hours=_int(request, "overlap_hours", 24)
        )
    except DomainError as err:
        return _detail_page(request, client, status=err.status, error=err, failed_form="rotate")
    return _detail_page(request, client, new_key=(key, raw))


@require_POST
@client_manager_required
@_or_404
def key_revoke(request: HttpRequest, client: ApiClient, key_pk: int) -> HttpResponse:
    try:
        key = services.api_client_key_revoke(actor=request.user, client=client, key_id=key_pk)
    except DomainError as err:
        return _detail_page(request, client, status=err.status, error=err, failed_form="keys")
    messages.success(request, _("已吊销密钥 %(prefix)s…") % {"prefix": key.prefix})
    return redirect("console:client", pk=client.pk)


# --- the call log --------------------------------------------------------------------------------


def _filter_from(request: HttpRequest) -> ApiCallFilter:
    get = request.GET
    client = get.get("client", "")
    status = (get.get("status") or "").strip()[:3]
    return ApiCallFilter(
        client=int(client) if client.isdigit() and len(client) < 10 else None,
        endpoint=(get.get("endpoint") or "").strip()[:100],
        status=status if status in STATUS_CLASSES or (status.isdigit() and len(status) == 3) else "",
        case_number=(get.get("case") or "").strip()[:20],
        since=parse_date((get.get("from") or "").strip()) if _is_date(get.get("from")) else None,
        until=parse_date((get.get("to") or "").strip()) if _is_date(get.get("to")) else None,
    )


def _is_date(value: str | None) -> bool:
    try:
        return bool(value) and parse_date(value.strip()) is not None
    except ValueError:
        return False


@require_GET
@staff_required
def api_call_list(request: HttpRequest) -> HttpResponse:
    if not may_read_api_calls(request.user):
        return _page(
            request,
            "console/denied.html",
            {"reason": _("只有审计员、系统管理员和部门管理员可以查看接口调用日志。")},
            status=403,
        )
    f = _filter_from(request)
    visible = api_calls_visible_to(request.user)
    page_raw = request.GET.get("page", "1")
    page = int(page_raw) if page_raw.isdigit() and 0 < int(page_raw) < 100_000 else 1
    start = (page - 1) * CALLS_PER_PAGE
    # One row more than a page tells whether there is a next page, without counting the table.
    rows = list(api_calls_search(visible, f)[start : start + CALLS_PER_PAGE + 1])
    params = {
        k: v
        for k, v in {
            "client": f.client or "",
            "endpoint": f.endpoint,
            "status": f.status,
            "case": f.case_number,
            "from": f.since.isoformat() if f.since else "",
            "to": f.until.isoformat() if f.until else "",
        }.items()
        if v
    }
    sees_all = user_can(request.user, Capability.AUDIT_VIEW)
    clients = ApiClient.objects.all() if sees_all else services.clients_managed_by(request.user)
    context = {
        "calls": rows[:CALLS_PER_PAGE],
        "filter": f,
        "clients": list(clients.order_by("name").only("pk", "name")),
        "status_classes": STATUS_CLASSES,
        "page": page,
        "previous_url": "?" + urlencode({**params, "page": page - 1}) if page > 1 else "",
        "next_url": "?" + urlencode({**params, "page": page + 1}) if len(rows) > CALLS_PER_PAGE else "",
    }
    return _private(_page(request, "console/clients/calls.html", context))
