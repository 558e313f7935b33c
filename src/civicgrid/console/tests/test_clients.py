"""API 客户端 through the pages: who may manage which clients, create → key → calls → revoke, bad input."""

from __future__ import annotations

import re

import pytest

from civicgrid.accounts.clients import api_client_register
from civicgrid.accounts.models import ApiClient, ApiKey, User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.console.tests.helpers import as_user
from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db

KEY = re.compile(r'<code id="new-key-value">(cgk_[^<]+)</code>')


@pytest.fixture
def clients(world):
    """A system of the department admin's bureau (住建局 ZJJ), one of its section's, one of 园林 (YLZX)."""
    own = api_client_register(
        actor=world.admin,
        name="住建局业务系统",
        kind="department",
        department=world.departments["ZJJ"],
        scopes=["cases:read"],
    )
    section = api_client_register(
        actor=world.admin,
        name="市政科系统",
        kind="department",
        department=world.departments["ZJJ_SZ"],
        scopes=["cases:read"],
    )
    other = api_client_register(
        actor=world.admin,
        name="园林系统",
        kind="department",
        department=world.departments["YLZX"],
        scopes=["cases:read", "exports"],
    )
    return own, section, other


def names(response) -> list[str]:
    return re.findall(r'<tr data-client="\d+"[^>]*>\s*<td><a [^>]+>([^<]+)</a>', response.content.decode())


def test_an_admin_sees_every_client(client, world, clients):
    response = as_user(client, world.admin).get("/console/clients/")
    assert response.status_code == 200
    assert sorted(names(response)) == sorted(["住建局业务系统", "市政科系统", "园林系统"])
    assert 'href="/console/clients/"' in response.content.decode()  # in the navigation


def test_a_department_admin_sees_only_their_departments_clients(client, world, clients):
    own, section, other = clients
    as_user(client, world.department_admin)
    assert sorted(names(client.get("/console/clients/"))) == ["住建局业务系统", "市政科系统"]
    assert client.get(f"/console/clients/{own.pk}/").status_code == 200
    assert client.get(f"/console/clients/{other.pk}/").status_code == 404
    # Nor may they act on another department's client.
    assert client.post(f"/console/clients/{other.pk}/keys/issue/").status_code == 404
    assert client.post(f"/console/clients/{other.pk}/active/", {"active": "0"}).status_code == 404
    assert not ApiKey.objects.filter(client=other).exists()
    other.refresh_from_db()
    assert other.is_active


@pytest.mark.parametrize("who", ["dispatcher", "citizen", "roads_handler", "leader"])
def test_others_may_not_manage_clients(client, world, clients, who):
    as_user(client, getattr(world, who))
    for url in ("/console/clients/", f"/console/clients/{clients[0].pk}/"):
        assert client.get(url).status_code == 403
    assert client.post("/console/clients/add/", {"name": "x", "kind": "department"}).status_code == 403
    assert client.post(f"/console/clients/{clients[0].pk}/keys/issue/").status_code == 403
    assert ApiClient.objects.count() == 3 and not ApiKey.objects.exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, clients):
    response = client.get("/console/clients/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_admin_creates_a_hotline_client_whose_account_cannot_sign_in(client, world):
    as_user(client, world.admin)
    response = client.post(
        "/console/clients/add/",
        {
            "name": "12345 热线",
            "kind": "hotline",
            "scopes": ["cases:create", "cases:read", "cases:act"],
            "streets": f"{world.street.code}",
            "rate_limit_per_minute": "120",
            "contact_name": "王工",
            "contact_phone": "0571-12345",
        },
    )
    new = ApiClient.objects.get(name="12345 热线")
    assert response.status_code == 302 and response["Location"] == f"/console/clients/{new.pk}/"
    assert (new.kind, new.scopes, new.streets, new.rate_limit_per_minute) == (
        "hotline",
        ["cases:act", "cases:create", "cases:read"],
        [world.street.code],
        120,
    )
    account = new.user
    assert account.role == Role.DISPATCHER and account.department is None
    assert not account.has_usable_password() and not account.is_staff
    assert not client.login(username=account.phone, password="")


def test_a_department_client_acts_as_a_handler_of_its_department(client, world):
    as_user(client, world.department_admin)
    response = client.post(
        "/console/clients/add/",
        {
            "name": "市政科巡查系统",
            "kind": "department",
            "department": world.departments["ZJJ_SZ"].pk,
            "scopes": ["cases:read", "cases:act"],
        },
    )
    assert response.status_code == 302
    new = ApiClient.objects.get(name="市政科巡查系统")
    assert (new.user.role, new.user.department, new.department) == (
        Role.HANDLER,
        world.departments["ZJJ_SZ"],
        world.departments["ZJJ_SZ"],
    )


@pytest.mark.parametrize(
    ("post", "code_text"),
    [
        ({"kind": "department", "department": "YLZX", "scopes": ["cases:read"]}, "不能为其他部门创建客户端"),
        ({"kind": "department", "department": "ZJJ", "scopes": ["cases:read:personal"]}, "您不能授予"),
        ({"kind": "department", "department": "ZJJ", "scopes": ["webhooks:manage"]}, "您不能授予"),
        ({"kind": "hotline", "scopes": ["cases:read"]}, "只能创建本部门的业务系统"),
        ({"kind": "department", "department": "ZJJ", "scopes": ["nonsense"]}, "未知的权限范围"),
        ({"kind": "department", "department": "ZJJ", "rate_limit_per_minute": "0"}, "每分钟调用上限"),
        ({"kind": "department", "department": "ZJJ", "rate_limit_per_minute": "abc"}, "请输入整数"),
        ({"kind": "department", "department": "ZJJ", "streets": "123"}, "没有这些街道编码"),
        ({"kind": "department", "department": "", "scopes": []}, "须选择所属部门"),
        ({"name": "", "kind": "department", "department": "ZJJ"}, "请填写名称"),
    ],
)
def test_bad_input_from_a_department_admin_is_refused_on_the_form_and_changes_nothing(
    client, world, post, code_text
):
    as_user(client, world.department_admin)
    data = {"name": "某系统", **post}
    if data.get("department") in world.departments:
        data["department"] = world.departments[data["department"]].pk
    users = User.objects.count()
    response = client.post("/console/clients/add/", data)
    assert response.status_code in (403, 422), response.status_code
    body = response.content.decode()
    assert 'id="add-error"' in body and code_text in body
    assert not ApiClient.objects.exists() and User.objects.count() == users


def test_an_admin_may_grant_personal_data_and_webhooks(client, world):
    as_user(client, world.admin)
    response = client.post(
        "/console/clients/add/",
        {"name": "省平台", "kind": "platform", "scopes": ["cases:read:personal", "webhooks:manage"]},
    )
    assert response.status_code == 302
    new = ApiClient.objects.get()
    assert new.user.role == Role.LEADER and new.scopes == ["cases:read:personal", "webhooks:manage"]


def test_create_issue_call_revoke(client, world, routed_world):
    from django.test import Client

    as_user(client, world.admin)
    client.post("/console/clients/add/", {"name": "热线", "kind": "hotline", "scopes": ["cases:read"]})
    new = ApiClient.objects.get()
    page = client.post(f"/console/clients/{new.pk}/keys/issue/")
    assert page.status_code == 200 and page["Cache-Control"].count("no-store") == 1
    raw = KEY.search(page.content.decode()).group(1)
    # Shown once: the page opened again shows the prefix only.
    again = client.get(f"/console/clients/{new.pk}/").content.decode()
    assert raw not in again and raw[:12] in again

    api = Client()
    bearer = {"Authorization": f"Bearer {raw}"}
    assert api.get("/api/cases", headers=bearer).status_code == 200

    key = ApiKey.objects.get(client=new)
    assert client.post(f"/console/clients/{new.pk}/keys/{key.pk}/revoke/").status_code == 302
    assert api.get("/api/cases", headers=bearer).status_code == 401


def test_deactivating_a_client_stops_its_keys(client, world, clients):
    as_user(client, world.admin)
    own = clients[0]
    raw = KEY.search(client.post(f"/console/clients/{own.pk}/keys/issue/").content.decode()).group(1)
    bearer = {"Authorization": f"Bearer {raw}"}
    client.post(f"/console/clients/{own.pk}/active/", {"active": "0"})
    from django.test import Client

    assert Client().get("/api/cases", headers=bearer).status_code == 401
    client.post(f"/console/clients/{own.pk}/active/", {"active": "1"})
    assert Client().get("/api/cases", headers=bearer).status_code == 200


def test_rotation_keeps_the_old_key_until_the_overlap_ends(client, world, clients, time_machine):
    from datetime import timedelta

    from django.test import Client

    from civicgrid.cases.tests.helpers import local

    time_machine.move_to(local(2026, 12, 1, 10))
    as_user(client, world.admin)
    own = clients[0]
    old = KEY.search(client.post(f"/console/clients/{own.pk}/keys/issue/").content.decode()).group(1)
    page = client.post(f"/console/clients/{own.pk}/keys/rotate/", {"overlap_hours": "2"})
    new = KEY.search(page.content.decode()).group(1)
    api = Client()

    def status(raw):
        return api.get("/api/cases", headers={"Authorization": f"Bearer {raw}"}).status_code

    assert (status(old), status(new)) == (200, 200)
    time_machine.move_to(local(2026, 12, 1, 10) + timedelta(hours=1, minutes=59))
    assert (status(old), status(new)) == (200, 200)
    time_machine.move_to(local(2026, 12, 1, 12, 1))
    assert (status(old), status(new)) == (401, 200)
    as_user(client, world.admin)  # the staff session has idled out meanwhile
    keys = client.get(f"/console/clients/{own.pk}/").content.decode()
    assert keys.count("已过期") == 1 and keys.count("/revoke/") == 1  # only the new key can be revoked


def test_a_bad_overlap_is_refused_and_issues_no_key(client, world, clients):
    as_user(client, world.admin)
    for bad in ("-1", "abc", "9999"):
        response = client.post(f"/console/clients/{clients[0].pk}/keys/rotate/", {"overlap_hours": bad})
        assert response.status_code == 422 and 'id="client-error"' in response.content.decode()
    assert not ApiKey.objects.exists()


def test_editing_scopes_streets_rate_and_contact(client, world, clients):
    own = clients[0]
    as_user(client, world.department_admin)
    response = client.post(
        f"/console/clients/{own.pk}/edit/",
        {
            "scopes": ["cases:read", "stats:read"],
            "streets": world.street.code,
            "rate_limit_per_minute": "60",
            "contact_name": "李工",
            "contact_phone": "13800000000",
        },
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.scopes, own.streets, own.rate_limit_per_minute, own.contact_name) == (
        ["cases:read", "stats:read"],
        [world.street.code],
        60,
        "李工",
    )
    bad = client.post(
        f"/console/clients/{own.pk}/edit/",
        {"scopes": ["exports"], "streets": "", "rate_limit_per_minute": "60"},
    )
    assert bad.status_code == 403 and 'id="edit-error"' in bad.content.decode()
    own.refresh_from_db()
    assert own.scopes == ["cases:read", "stats:read"]


def test_a_department_admin_keeps_what_an_admin_granted(client, world, clients):
    other = clients[2]  # 园林: cases:read + exports; move the department admin there
    manager = user_create(
        phone="13900000050",
        password=PASSWORD,
        role=Role.DEPARTMENT_ADMIN,
        department=world.departments["YLZX"],
    )
    as_user(client, manager)
    response = client.post(
        f"/console/clients/{other.pk}/edit/", {"scopes": ["stats:read"], "rate_limit_per_minute": "600"}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.scopes == ["exports", "stats:read"]


def test_every_form_needs_csrf(world, clients):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.admin)
    for url in ("/console/clients/add/", f"/console/clients/{clients[0].pk}/keys/issue/"):
        assert strict.post(url, {"name": "x", "kind": "hotline"}).status_code == 403
    assert ApiClient.objects.count() == 3 and not ApiKey.objects.exists()


def test_a_clients_page_leads_to_its_webhooks(client, world, clients):
    own, _section, _other = clients
    as_user(client, world.department_admin)
    page = client.get(f"/console/clients/{own.pk}/").content.decode()
    link = re.search(r'<a href="([^"]+)" id="client-webhooks">', page)
    assert link is not None and link.group(1) == f"/console/webhooks/?client={own.pk}"
    assert client.get(link.group(1)).status_code == 200
