"""Every admin page of every registered model opens for a superuser; the CSV import pages work."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from civicgrid.accounts.clients import api_personal_key_issue
from civicgrid.taxonomy.models import Category, RoutingRule, TimeLimit

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)
# Models of the foundation apps whose change page must be covered (an instance is made below).
FOUNDATION = {
    "auth.Group",
    "accounts.Department",
    "accounts.User",
    "accounts.ApiClient",
    "grids.District",
    "grids.Street",
    "grids.Community",
    "grids.Cell",
    "grids.CellMember",
    "taxonomy.Category",
    "taxonomy.TimeLimit",
    "taxonomy.RoutingRule",
}


def url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def admin_client(client, routed_world, categories):
    """A superuser's session, with at least one row of every foundation model."""
    Group.objects.create(name="值班长")
    api_personal_key_issue(user=routed_world.dispatcher, name="12345 热线")
    TimeLimit.objects.create(category=categories["06013"], step="handle", hours=24)
    TimeLimit.objects.create(category=None, step="register", hours=1)
    client.force_login(routed_world.admin)
    return client


def test_the_foundation_models_are_registered():
    assert FOUNDATION <= {m._meta.label for m in REGISTERED}


def test_the_admin_index(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "civicgrid" in response.content.decode()


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist(admin_client, model):
    response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200, response.content[:500]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_search(admin_client, model):
    if not admin.site._registry[model].search_fields:
        pytest.skip(f"{model._meta.label} has no search")
    assert admin_client.get(url(model, "changelist"), {"q": "1"}).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_add_page(admin_client, routed_world, model):
    request = RequestFactory().get("/")
    request.user = routed_world.admin
    if not admin.site._registry[model].has_add_permission(request):
        pytest.skip(f"{model._meta.label} cannot be added in the admin")
    response = admin_client.get(url(model, "add"))
    assert response.status_code == 200, response.content[:500]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_change_page(admin_client, model):
    obj = model._default_manager.order_by("pk").first()
    if obj is None:
        assert model._meta.label not in FOUNDATION, f"the fixture should create a {model._meta.label}"
        pytest.skip(f"no {model._meta.label} to open")
    response = admin_client.get(url(model, "change", obj.pk))
    assert response.status_code == 200, response.content[:500]


def test_a_citizen_cannot_open_the_admin(client, world):
    client.force_login(world.citizen)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("model", [Category, RoutingRule], ids=["category", "routingrule"])
def test_the_csv_import_page_opens_and_is_linked(admin_client, model):
    assert url(model, "import") in admin_client.get(url(model, "changelist")).content.decode()
    response = admin_client.get(url(model, "import"))
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_importing_categories_through_the_admin(admin_client):
    text = "kind,code,major_code,major_name,name\n管理事项,09901,09,街面秩序类,共享单车乱停\n管理事项,06013,06,市容环境类,道路破损\n"
    upload = SimpleUploadedFile("categories.csv", text.encode("utf-8-sig"), content_type="text/csv")
    response = admin_client.post(url(Category, "import"), {"file": upload})
    assert response.status_code == 302
    assert response["Location"] == url(Category, "changelist")
    new = Category.objects.get(kind="matter", code="09901")
    assert new.name == "共享单车乱停" and new.is_local  # added by the city
    assert not Category.objects.get(kind="matter", code="06013").is_local  # updated, still the standard's
    assert "1 created, 1 updated" in admin_client.get(response["Location"]).content.decode()


def test_importing_routing_rules_through_the_admin(admin_client):
    text = (
        "kind,category_code,major_code,area_code,department_code,active,note\n"
        "matter,06013,,,ZJJ-SZ,1,道路破损\nmatter,,06,150603001,JD-QCS,1,\n"
    )
    upload = SimpleUploadedFile("routing.csv", text.encode("utf-8"), content_type="text/csv")
    response = admin_client.post(url(RoutingRule, "import"), {"file": upload})
    assert response.status_code == 302
    assert sorted(RoutingRule.objects.values_list("department__code", flat=True)) == ["JD-QCS", "ZJJ-SZ"]


def test_a_bad_csv_shows_the_error_and_imports_nothing(admin_client):
    before = RoutingRule.objects.count()
    text = "kind,category_code,major_code,area_code,department_code\nmatter,,06,,NOPE\n"
    upload = SimpleUploadedFile("routing.csv", text.encode("utf-8"), content_type="text/csv")
    response = admin_client.post(url(RoutingRule, "import"), {"file": upload})
    assert response.status_code == 200
    assert "NOPE" in response.content.decode()
    assert RoutingRule.objects.count() == before


def test_the_ambiguity_warning_on_the_rule_list(admin_client, routed_world):
    d = routed_world.departments
    first = RoutingRule.objects.create(major_code="09", kind="matter", department=d["CGJ"])
    second = RoutingRule.objects.create(major_code="09", kind="matter", department=d["YLZX"])
    response = admin_client.get(url(RoutingRule, "changelist"))
    assert f"#{first.pk} / #{second.pk}" in response.content.decode()


def test_exporting_rules_as_csv(admin_client):
    ids = list(RoutingRule.objects.values_list("pk", flat=True))
    response = admin_client.post(
        url(RoutingRule, "changelist"), {"action": "export_as_csv", "_selected_action": ids}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "kind,category_code,major_code,area_code,department_code,active,note"
    assert len(lines) == 1 + len(ids)
