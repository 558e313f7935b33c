"""GET /api/taxonomy/categories (for the report form) and /api/taxonomy/departments."""

from __future__ import annotations

from civicgrid.accounts.models import Department
from civicgrid.taxonomy.models import Category


def codes(response) -> list[str]:
    assert response.status_code == 200
    return [c["code"] for c in response.json()]


def test_all_active_categories(client, categories):
    Category.objects.create(kind="matter", code="09099", major_name="街面秩序类", name="停用的", active=False)
    assert codes(client.get("/api/taxonomy/categories")) == ["01003", "04002", "06010", "06013", "09006"]


def test_a_category_has_its_fields(client, categories):
    body = client.get("/api/taxonomy/categories", {"q": "01003"}).json()
    assert body == [
        {
            "kind": "component",
            "code": "01003",
            "major_code": "01",
            "major_name": "市政公用设施",
            "name": "雨水井盖",
            "legacy_code": "",
            "is_local": False,
            "default_urgency": "normal",
        }
    ]


def test_filter_by_kind(client, categories):
    assert codes(client.get("/api/taxonomy/categories", {"kind": "matter"})) == ["06010", "06013", "09006"]
    assert codes(client.get("/api/taxonomy/categories", {"kind": "component"})) == ["01003", "04002"]


def test_search_by_code_prefix_name_major_class_and_keywords(client, categories):
    Category.objects.filter(code="09006").update(keywords="摆摊 小贩")
    assert codes(client.get("/api/taxonomy/categories", {"q": "06"})) == ["06010", "06013"]
    assert codes(client.get("/api/taxonomy/categories", {"q": "井盖"})) == ["01003"]
    assert codes(client.get("/api/taxonomy/categories", {"q": "市容"})) == ["06010", "06013"]
    assert codes(client.get("/api/taxonomy/categories", {"q": "小贩"})) == ["09006"]
    assert codes(client.get("/api/taxonomy/categories", {"q": "火星"})) == []
    assert codes(client.get("/api/taxonomy/categories", {"kind": "component", "q": "0"})) == [
        "01003",
        "04002",
    ]


def test_departments(client, world):
    Department.objects.create(code="OLD", name="撤销的部门", active=False)
    response = client.get("/api/taxonomy/departments")
    assert response.status_code == 200
    body = {d["code"]: d for d in response.json()}
    assert set(body) == {"ZHZX", "ZJJ", "ZJJ-SZ", "YLZX", "CGJ", "JD-QCS"}
    assert body["ZJJ-SZ"] == {"code": "ZJJ-SZ", "name": "住建局市政科", "kind": "section", "parent": "ZJJ"}
    assert body["ZJJ"]["parent"] is None
    assert body["JD-QCS"]["kind"] == "street_office"
