"""The grids admin tools through the pages: boundary files uploaded, unit grid cells previewed and saved."""

from __future__ import annotations

import io
import json

import pytest
from playwright.sync_api import expect

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.grids.models import Cell, Community, District, Street
from civicgrid.grids.tests.test_boundary_files import (
    DISTRICT_WGS,
    HIERARCHY,
    STREET_WGS,
    assert_same_shape,
    datav_feature,
    shapefile_zip,
)
from civicgrid.grids.tests.test_cell_generation import L_SHAPE, SECOND, area
from civicgrid.testing import PASSWORD


@pytest.fixture
def administrator(db):
    return user_create(phone="13900000999", password=PASSWORD, real_name="管理员", role=Role.ADMIN)


def upload(name: str, data: bytes) -> io.BytesIO:
    out = io.BytesIO(data)
    out.name = name
    return out


@pytest.mark.django_db
def test_boundary_files_are_uploaded_in_the_admin(client, administrator):
    client.force_login(administrator)
    page = client.get("/admin/grids/district/").content.decode()
    assert "/admin/grids/district/import-boundaries/" in page
    array = json.dumps([datav_feature(150602, "东胜区", "district", DISTRICT_WGS)]).encode()
    response = client.post(
        "/admin/grids/district/import-boundaries/", {"file": upload("东胜区.json", array), "crs": "gcj02"}
    )
    assert response.status_code == 302
    assert_same_shape(District.objects.get(code="150602").shape, DISTRICT_WGS)
    response = client.post(
        "/admin/grids/district/import-boundaries/",
        {"file": upload("grid.zip", shapefile_zip(HIERARCHY, epsg=4525)), "crs": "wgs84"},
    )
    assert response.status_code == 302
    assert_same_shape(Street.objects.get(code="150602001").shape, STREET_WGS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, data, message",
    [
        ("grid.zip", shapefile_zip(HIERARCHY, epsg=None), "缺少坐标系文件 .prj"),
        ("grid.json", b"{oops", "JSON 格式错误"),
        ("grid.kml", b"<kml/>", "只接受 .json/.geojson"),
        (
            "grid.json",
            json.dumps([datav_feature(150600, "鄂尔多斯市", "city", DISTRICT_WGS)]).encode(),
            "150600",
        ),
    ],
)
def test_a_bad_boundary_file_is_refused_in_the_admin(client, administrator, name, data, message):
    client.force_login(administrator)
    response = client.post(
        "/admin/grids/district/import-boundaries/", {"file": upload(name, data), "crs": "gcj02"}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert District.objects.count() == 0


@pytest.mark.django_db
def test_a_department_admin_cannot_use_the_grid_tools(client, world):
    client.force_login(world.department_admin)
    assert client.get("/admin/grids/district/import-boundaries/").status_code in (302, 403)
    assert client.post(
        f"/admin/grids/community/{world.north.pk}/generate-cells/", {"size_m": 150}
    ).status_code in (
        302,
        403,
    )


@pytest.mark.django_db
def test_a_bad_cell_size_is_refused_and_saves_nothing(client, administrator):
    district = area(District, "150602", "东胜区", L_SHAPE.union(SECOND).envelope)
    street = area(Street, "150602001", "交通街道", L_SHAPE.union(SECOND).envelope, district=district)
    community = area(Community, "150602001001", "东苑社区", L_SHAPE, street=street)
    client.force_login(administrator)
    url = f"/admin/grids/community/{community.pk}/generate-cells/"
    response = client.post(url, {"size_m": "40"})
    assert response.status_code == 422
    assert "100–200" in response.content.decode()
    assert Cell.objects.count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_cells_are_previewed_on_a_map_then_saved(new_page, administrator, tmp_path):
    from civicgrid.conftest import login_page

    district = area(District, "150602", "东胜区", L_SHAPE.union(SECOND).envelope)
    street = area(Street, "150602001", "交通街道", L_SHAPE.union(SECOND).envelope, district=district)
    area(Community, "150602001001", "东苑社区", L_SHAPE, street=street)
    area(Community, "150602001002", "西苑社区", SECOND, street=street)
    from civicgrid.core.tests.test_browser_csp import WATCH

    page = new_page(width=1400, height=1000)
    page.add_init_script(WATCH)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login_page(page, administrator)
    page.goto(f"/admin/grids/street/{street.pk}/change/")
    page.click("a.generate-cells-link")
    page.fill("#size-m", "150")
    page.click("#preview-button")
    expect(page.locator("#plan-summary")).to_contain_text("个 150 米单元网格")
    expect(page.locator(".plan-counts")).to_contain_text("东苑社区")
    expect(page.locator("#cells-map path.leaflet-interactive").first).to_be_visible()
    planned = int(page.locator("#cells-map").get_attribute("data-cells"))
    assert planned > 5
    assert Cell.objects.count() == 0  # the preview saved nothing
    assert page.evaluate("window.__csp") == []
    page.screenshot(path=str(tmp_path / "cells-preview.png"), full_page=True)
    import os

    if os.environ.get("CELLS_SCREENSHOT"):
        page.screenshot(path=os.environ["CELLS_SCREENSHOT"], full_page=True)
    page.click("#save-button")
    expect(page.locator(".messagelist")).to_contain_text(f"已生成 {planned} 个单元网格")
    assert Cell.objects.filter(street=street).count() == planned
    expect(page.locator("#result_list")).to_contain_text("150602001001001")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

    # A boundary file refused in the admin: every problem listed, nothing saved.
    page.goto("/admin/grids/district/")
    page.click("a.import-boundaries-link")
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [
                {
                    **datav_feature(150602, "东胜区", "district", DISTRICT_WGS),
                    "geometry": {"type": "Point", "coordinates": [109.9, 39.8]},
                },
                {"type": "Feature"},
            ]
        ),
        encoding="utf-8",
    )
    page.set_input_files("#boundary-file", str(bad))
    page.select_option("#boundary-crs", "gcj02")
    page.click("input[type=submit]")
    expect(page.locator("#import-error")).to_contain_text("未导入任何内容")
    expect(page.locator("#import-error")).to_contain_text("缺少编码")
    if os.environ.get("IMPORT_SCREENSHOT"):
        page.screenshot(path=os.environ["IMPORT_SCREENSHOT"], full_page=True)
    assert District.objects.count() == 1
    assert page.evaluate("window.__csp") == []
