"""The pages anyone can open: home, API docs and schema, health."""

from __future__ import annotations


def test_home_page_is_chinese_by_default(client, db):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans"' in html
    assert "城市精细化治理平台" in html


def test_home_page_counts_the_grid(client, world, categories):
    html = client.get("/").content.decode()
    assert "<strong>5</strong>" in html  # cells
    assert "<strong>1</strong>" in html  # streets


def test_home_page_in_english(client, db):
    response = client.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="en"' in response.content.decode()


def test_api_docs(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "openapi.json" in response.content.decode()


def test_openapi_schema_lists_the_foundation_endpoints(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/health",
        "/api/accounts/me",
        "/api/grids/locate",
        "/api/grids/cells.geojson",
        "/api/taxonomy/categories",
        "/api/taxonomy/departments",
    ]:
        assert path in paths, path


def test_health(client, db):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")
    assert body["version"]
