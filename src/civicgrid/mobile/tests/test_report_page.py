"""The report page (随手拍) without JavaScript: a plain multipart POST to the page itself."""

from __future__ import annotations

import re

import pytest

from civicgrid.cases.choices import CaseStatus, Channel
from civicgrid.cases.models import Case, CasePhoto
from civicgrid.mobile.tests.helpers import CELL_NORTH_1, NORTH_1, jpeg_upload

URL = "/m/report/"


def form_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def post_report(client, key: str = "k-0123456789", *, photos=(), **fields):
    data = {
        "description": "井盖缺失，行人容易踩空",
        "lat": str(NORTH_1[0]),
        "lon": str(NORTH_1[1]),
        "kind": "complaint",
        "idempotency_key": key,
        **fields,
    }
    if photos:
        data["photos"] = list(photos)
    return client.post(URL, data)


@pytest.fixture
def citizen(client, routed_world):
    client.force_login(routed_world.citizen)
    return routed_world.citizen


def test_the_page_asks_to_sign_in_first(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/code/?next=/m/report/")


def test_the_page_renders_with_a_fresh_idempotency_key(client, citizen, categories):
    first, second = client.get(URL), client.get(URL)
    assert first.status_code == 200
    html = first.content.decode()
    assert form_key(html) != form_key(second.content.decode()) and len(form_key(html)) == 32
    assert 'enctype="multipart/form-data"' in html and 'capture="environment"' in html
    assert 'name="lat"' in html and 'name="lon"' in html  # typed coordinates work without the map
    assert '<optgroup label="事项 · 06 市容环境类">' in html and 'value="matter:06013"' in html


def test_a_report_without_javascript_creates_the_case_with_its_photo(client, citizen, categories):
    response = post_report(
        client, photos=[jpeg_upload("pothole.jpg")], category="matter:06013", address="北苑一格东门"
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/m/cases/{case.number}/"
    assert case.reporter == citizen and case.channel == Channel.APP
    assert case.category == categories["06013"] and case.address == "北苑一格东门"
    assert case.cell.code == CELL_NORTH_1 and (case.lat, case.lon) == NORTH_1
    assert CasePhoto.objects.filter(case=case, stage="report").count() == 1
    assert case.idempotency_key == "k-0123456789"
    page = client.get(response["Location"]).content.decode()
    assert "上报成功" in page and case.number in page


def test_the_same_form_posted_twice_creates_one_case(client, citizen, categories):
    first = post_report(client, key="retry-key-42", photos=[jpeg_upload()])
    second = post_report(client, key="retry-key-42", photos=[jpeg_upload()])
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert CasePhoto.objects.count() == 1


def test_the_script_gets_json_and_a_replay_says_so(client, citizen, categories):
    headers = {"Accept": "application/json"}
    data = {
        "description": "路灯不亮",
        "lat": NORTH_1[0],
        "lon": NORTH_1[1],
        "kind": "complaint",
        "idempotency_key": "json-key-0001",
    }
    first = client.post(URL, data, headers=headers)
    assert first.status_code == 201
    number = first.json()["number"]
    assert first.json() == {"number": number, "url": f"/m/cases/{number}/", "created": True}
    second = client.post(URL, data, headers=headers)
    assert (
        second.status_code == 200 and second.json()["created"] is False and second.json()["number"] == number
    )
    assert Case.objects.count() == 1


def test_errors_are_shown_next_to_their_fields(client, citizen, categories):
    response = client.post(
        URL,
        {"description": "  ", "lat": "", "lon": "", "kind": "complaint", "idempotency_key": "k-errors-0001"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'id="error-description"[^>]*>请描述问题<', html)
    assert re.search(r'id="error-location"[^>]*>请在地图上点选位置', html)
    assert form_key(html) == "k-errors-0001"  # the retry keeps the key
    assert not Case.objects.exists()


def test_errors_as_json_for_the_script(client, citizen, categories):
    response = client.post(
        URL,
        {"description": "", "lat": "abc", "lon": "1", "idempotency_key": "k-json-err1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"description", "location"}


def test_a_place_outside_the_city_is_refused_at_the_map(client, citizen, categories):
    response = post_report(client, lat="39.50", lon="109.70")
    assert response.status_code == 422
    assert re.search(
        r'id="error-location"[^>]*>位置 \(39\.500000, 109\.700000\) 不在本市管辖范围内',
        response.content.decode(),
    )


def test_a_fake_photo_is_refused_next_to_the_photos(client, citizen, categories):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("virus.jpg", b"MZ not an image at all", content_type="image/jpeg")
    response = post_report(client, photos=[fake])
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'id="error-photos"[^>]*>照片“virus.jpg”不是图片', html)
    assert "照片需要重新选择" in html
    assert not Case.objects.exists()


def test_at_most_nine_photos(client, citizen, categories):
    response = post_report(client, photos=[jpeg_upload(f"p{i}.jpg") for i in range(10)])
    assert response.status_code == 422
    assert re.search(r'id="error-photos"[^>]*>照片太多', response.content.decode())


def test_an_unknown_category_is_refused(client, citizen, categories):
    response = post_report(client, category="matter:99999")
    assert response.status_code == 422
    assert re.search(r'id="error-category"[^>]*>未知的问题分类', response.content.decode())


def test_a_scanned_code_fills_in_the_form(client, citizen, categories):
    response = client.get(
        URL,
        {
            "lat": "39.6151",
            "lon": "109.7652",
            "address": "北苑一格 3 号井盖",
            "category": "01003",
            "source_ref": "code:C-0042",
        },
    )
    html = response.content.decode()
    assert 'value="39.6151"' in html and 'value="109.7652"' in html
    assert 'value="北苑一格 3 号井盖"' in html and 'value="code:C-0042"' in html
    assert '<option value="component:01003" selected>' in html
    assert "已根据扫描的二维码填写位置" in html


def test_nonsense_in_the_link_is_ignored(client, citizen, categories):
    html = client.get(URL, {"lat": "nan", "lon": "x", "category": "nope"}).content.decode()
    assert 'id="id_lat" name="lat" inputmode="decimal" autocomplete="off" value=""' in html
    assert " selected>" not in html.split('id="id_category"')[1].split("</select>")[0]


def test_a_report_from_a_scanned_code_keeps_its_source(client, citizen, categories):
    post_report(client, category="component:01003", source_ref="code:C-0042")
    case = Case.objects.get()
    assert case.channel == Channel.CODE_SCAN and case.source_ref == "code:C-0042"


def test_the_category_is_optional_for_citizens(client, citizen, categories):
    post_report(client)
    case = Case.objects.get()
    assert case.category is None and case.status == CaseStatus.REPORTED


def test_category_search(client, citizen, categories):
    html = client.get("/m/categories/", {"q": "井盖"}, headers={"HX-Request": "true"}).content.decode()
    assert 'data-value="component:01003"' in html and "雨水井盖" in html
    assert "暴露垃圾" not in html
    assert "没有找到" in client.get("/m/categories/", {"q": "飞碟"}).content.decode()
