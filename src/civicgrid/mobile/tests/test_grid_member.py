"""The grid member's pages: my cells, patrol reports (auto-registered), and the on-site check (核查)."""

from __future__ import annotations

import json
import re

import pytest

from civicgrid.cases.choices import Action, CaseStatus, Channel
from civicgrid.cases.models import Case, CasePhoto
from civicgrid.mobile.tests.helpers import CELL_NORTH_1, NORTH_1, NORTH_2, jpeg_upload, report, run_to_handled


@pytest.fixture
def member(client, routed_world):
    client.force_login(routed_world.grid_member)
    return routed_world.grid_member


@pytest.mark.parametrize("url", ["/m/grid/", "/m/grid/report/", "/m/grid/reports/", "/m/grid/verify/"])
def test_grid_pages_are_for_grid_members(client, routed_world, url):
    assert client.get(url).status_code == 302  # anonymous: to the login
    client.force_login(routed_world.citizen)
    response = client.get(url)
    assert response.status_code == 403 and "仅供网格员使用" in response.content.decode()


def test_my_cells_on_the_map(client, member, categories):
    report(
        member.__class__.objects.get(phone="13900000001"),
        category=categories["06013"],
        description="格内的坑",
    )
    html = client.get("/m/grid/").content.decode()
    cells = json.loads(
        re.search(r'<script id="my-cells" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert [f["properties"]["code"] for f in cells["features"]] == [CELL_NORTH_1]
    assert cells["features"][0]["geometry"]["type"] == "Polygon"
    markers = json.loads(
        re.search(r'<script id="cell-cases" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert len(markers) == 1 and markers[0]["label"] == "待立案"
    assert "北苑一格" in html and "1 件在办" in html
    assert 'class="tabbar"' in html and 'href="/m/grid/" aria-current="page"' in html


def test_a_patrol_report_is_registered_at_once(client, member, categories):
    page = client.get("/m/grid/report/").content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    response = client.post(
        "/m/grid/report/",
        {
            "description": "巡查发现道路破损",
            "lat": NORTH_1[0],
            "lon": NORTH_1[1],
            "category": "matter:06013",
            "kind": "complaint",
            "idempotency_key": key,
            "photos": [jpeg_upload()],
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/m/cases/{case.number}/"
    assert case.channel == Channel.GRID and case.reporter == member
    assert case.status in (CaseStatus.REGISTERED, CaseStatus.DISPATCHED)  # auto-registered (and routed)
    assert case.photos.count() == 1
    reports = client.get("/m/grid/reports/").content.decode()
    assert case.number in reports and "巡查发现道路破损" in reports


def test_a_patrol_report_needs_a_category(client, member, categories):
    response = client.post(
        "/m/grid/report/",
        {"description": "有问题", "lat": NORTH_1[0], "lon": NORTH_1[1], "idempotency_key": "patrol-key-01"},
    )
    assert response.status_code == 422
    assert re.search(r'id="error-category"[^>]*>请选择问题分类', response.content.decode())
    assert not Case.objects.exists()


def test_cases_to_verify_are_the_handled_ones_in_my_cells(client, member, routed_world, categories):
    mine = run_to_handled(
        report(routed_world.citizen, category=categories["06013"], description="我格里的坑"), routed_world
    )
    not_handled = report(routed_world.citizen, category=categories["06010"], description="还没处理的垃圾")
    elsewhere = run_to_handled(
        report(routed_world.citizen, category=categories["06013"], point=NORTH_2, description="别的网格的坑"),
        routed_world,
    )
    html = client.get("/m/grid/verify/").content.decode()
    assert mine.number in html and f'href="/m/grid/verify/{mine.number}/"' in html
    assert not_handled.number not in html and elsewhere.number not in html
    assert "住建局市政科" in html


@pytest.mark.parametrize("n", [3, 20])
def test_the_verify_list_takes_a_fixed_number_of_queries(
    client, member, routed_world, categories, n, django_assert_max_num_queries
):
    for i in range(n):
        case = report(
            routed_world.citizen,
            category=categories["06013"],
            point=(39.6101 + i * 0.0004, 109.7601 + i * 0.0004),
            description=f"坑 {i}",
        )
        run_to_handled(case, routed_world)
    with django_assert_max_num_queries(4):  # session, user, unread count, the list
        response = client.get("/m/grid/verify/")
    assert response.content.decode().count('href="/m/grid/verify/') == n


def test_verify_on_site_with_a_photo(client, member, routed_world, categories):
    case = run_to_handled(
        report(routed_world.citizen, category=categories["06013"], photos=1), routed_world, feedback_photos=1
    )
    page = client.get(f"/m/grid/verify/{case.number}/").content.decode()
    assert 'value="verify"' in page and 'value="rework"' in page and "已修复路面" in page
    response = client.post(
        f"/m/grid/verify/{case.number}/",
        {"action": "verify", "note": "现场已修复", "photos": [jpeg_upload("onsite.jpg")]},
    )
    assert response.status_code == 302 and response["Location"] == "/m/grid/verify/"
    case.refresh_from_db()
    assert case.status == CaseStatus.VERIFIED
    event = case.events.get(action=Action.VERIFY)
    assert event.actor == member and event.note == "现场已修复"
    assert CasePhoto.objects.filter(case=case, stage="verify", event=event).count() == 1
    queue = client.get("/m/grid/verify/").content.decode()
    assert "核查通过，已提交结案" in queue  # the message
    assert f'href="/m/grid/verify/{case.number}/"' not in queue


def test_rework_needs_a_note(client, member, routed_world, categories):
    case = run_to_handled(report(routed_world.citizen, category=categories["06013"]), routed_world)
    response = client.post(f"/m/grid/verify/{case.number}/", {"action": "rework", "note": ""})
    assert response.status_code == 422
    assert re.search(r'id="error-note"[^>]*>返工需要填写说明', response.content.decode())
    case.refresh_from_db()
    assert case.status == CaseStatus.HANDLED
    response = client.post(
        f"/m/grid/verify/{case.number}/",
        {"action": "rework", "note": "路面仍有裂缝", "photos": [jpeg_upload()]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.rework_count == 1


def test_a_bad_photo_is_refused_and_nothing_changes(client, member, routed_world, categories):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = run_to_handled(report(routed_world.citizen, category=categories["06013"]), routed_world)
    response = client.post(
        f"/m/grid/verify/{case.number}/",
        {"action": "verify", "photos": [SimpleUploadedFile("x.jpg", b"not an image")]},
    )
    assert response.status_code == 422
    assert re.search(r'id="error-photos"[^>]*>照片“x.jpg”不是图片', response.content.decode())
    case.refresh_from_db()
    assert case.status == CaseStatus.HANDLED


def test_a_case_not_waiting_for_verification_offers_no_buttons(client, member, routed_world, categories):
    case = report(routed_world.citizen, category=categories["06013"])
    page = client.get(f"/m/grid/verify/{case.number}/").content.decode()
    assert 'value="verify"' not in page and "不需要您核查" in page
    response = client.post(f"/m/grid/verify/{case.number}/", {"action": "verify"})
    assert response.status_code == 422 and "不能核查通过" in response.content.decode()


def test_a_case_outside_my_cells_is_not_found(client, member, routed_world, categories):
    case = run_to_handled(
        report(routed_world.citizen, category=categories["06013"], point=NORTH_2), routed_world
    )
    assert client.get(f"/m/grid/verify/{case.number}/").status_code == 404
    assert client.post(f"/m/grid/verify/{case.number}/", {"action": "verify"}).status_code == 404


def test_an_on_site_check_needs_a_photo_and_a_note(client, member, routed_world, categories):
    case = run_to_handled(report(routed_world.citizen, category=categories["06013"]), routed_world)
    page = client.get(f"/m/grid/verify/{case.number}/").content.decode()
    assert 'id="evidence-hint"' in page
    response = client.post(f"/m/grid/verify/{case.number}/", {"action": "verify", "note": "现场已修复"})
    assert response.status_code == 422
    assert re.search(r'id="error-photos"[^>]*>现场核查需要拍摄至少一张现场照片', response.content.decode())
    response = client.post(
        f"/m/grid/verify/{case.number}/", {"action": "verify", "note": "", "photos": [jpeg_upload()]}
    )
    assert response.status_code == 422
    assert re.search(r'id="error-note"[^>]*>现场核查需要填写核查说明', response.content.decode())
    case.refresh_from_db()
    assert case.status == CaseStatus.HANDLED and not case.events.filter(action=Action.VERIFY).exists()


def test_a_category_may_waive_the_on_site_evidence(client, member, routed_world, categories):
    category = categories["06013"]
    category.verify_evidence = False
    category.save(update_fields=["verify_evidence"])
    case = run_to_handled(report(routed_world.citizen, category=category), routed_world)
    assert 'id="evidence-hint"' not in client.get(f"/m/grid/verify/{case.number}/").content.decode()
    response = client.post(f"/m/grid/verify/{case.number}/", {"action": "verify"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.VERIFIED


def patrol_post(client, point, description):
    page = client.get("/m/grid/report/").content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    return client.post(
        "/m/grid/report/",
        {
            "description": description,
            "lat": point[0],
            "lon": point[1],
            "category": "matter:06013",
            "kind": "complaint",
            "idempotency_key": key,
            "photos": [jpeg_upload()],
        },
        follow=True,
    )


def test_the_patrol_map_opens_on_my_cells_and_warns_outside_them(client, member, routed_world, categories):
    page = client.get("/m/grid/report/").content.decode()
    cells = json.loads(
        re.search(r'<script id="my-cells" type="application/json">(.*?)</script>', page, re.S)[1]
    )
    assert [f["properties"]["name"] for f in cells["features"]] == ["北苑一格"]
    bounds = json.loads(re.search(r'data-bounds="([^"]+)"', page)[1].replace("&quot;", '"'))
    cell = routed_world.cells[CELL_NORTH_1]
    assert bounds == [[cell.min_lat, cell.min_lon], [cell.max_lat, cell.max_lon]]
    assert 'id="outside-cells"' in page
    # A citizen's report page opens on the whole city, without the member's cells.
    assert 'id="my-cells"' not in client.get("/m/report/").content.decode()

    inside = patrol_post(client, NORTH_1, "格内道路破损").content.decode()
    assert "不在您负责的网格内" not in inside
    outside = patrol_post(client, NORTH_2, "邻格道路破损").content.decode()
    assert "注意：该位置不在您负责的网格内（北苑二格）" in outside
    assert Case.objects.filter(description="邻格道路破损").exists()  # warned, not refused


def test_the_grid_map_has_a_legend_of_its_dots(client, member, routed_world, categories):
    report(routed_world.citizen, category=categories["06013"], description="格内的坑")
    run_to_handled(report(routed_world.citizen, category=categories["04002"]), routed_world)
    html = client.get("/m/grid/").content.decode()
    legend = re.search(r'<ul class="map-legend" id="map-legend"[^>]*>(.*?)</ul>', html, re.S)[1]
    assert re.findall(r'<span class="dot (\w+)"', legend)[:2] == ["blue", "teal"]
    assert "待立案" in legend and "待核查" in legend and "我负责的网格" in legend
