"""The extensions on GET requests: extensions=true (channel, detailed status, public photos, public
notes, and meta.total), page/page_size, bbox and lat/long/radius."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from civicgrid.cases.photos import process_photo
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, east_of, jpeg_bytes, local, move
from civicgrid.open311.tests.kit import build, get_json, get_xml, validate

NOW = local(2026, 3, 2, 10)
SOUTH_1 = (39.605, 109.765)


@pytest.fixture(autouse=True)
def _photo_storage(settings, tmp_path, monkeypatch):
    """Photos under a temporary MEDIA_ROOT and private folder, as in the cases tests."""
    from django.core.files.storage import FileSystemStorage

    from civicgrid.cases.models import CasePhoto

    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")
    private = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    monkeypatch.setattr(CasePhoto._meta.get_field("original"), "storage", private)


@pytest.fixture
def city(routed_world, categories, settings):
    settings.SITE_URL = "https://city.example.cn"
    with time_machine.travel(NOW, tick=False):
        o = build(routed_world, categories)
        o.north = o.report("06013", NORTH_1, status="accepted")
        o.north = move(
            o.north, "feedback", o.world.roads_handler, "已修复", photos=[process_photo(jpeg_bytes(gps=True))]
        )
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        o.east = o.report("06010", NORTH_2)
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        o.south = o.report("06010", SOUTH_1)
    return o


def _later():
    return time_machine.travel(NOW + timedelta(hours=1), tick=False)


@pytest.mark.django_db
def test_extensions_in_json(city):
    with _later():
        status, body = get_json(city.http, "/requests.json", extensions="true", service_code="06013")
    assert status == 200
    validate("requests_extended", body)
    assert body["meta"] == {"total": 1}
    (item,) = body["service_requests"]
    assert item["extended_attributes"]["channel"] == "app"
    assert item["extended_attributes"]["detailed_status"] == "handled"
    (photo,) = item["photos"]
    assert photo["media_url"].startswith("https://city.example.cn/")
    assert item["media_url"] == photo["media_url"]  # the public photo, EXIF-free copy, absolute
    assert [n["type"] for n in item["notes"]] == ["report", "register", "dispatch", "feedback"]
    assert all(n["datetime"].endswith("+08:00") for n in item["notes"])
    assert "已修复" not in str(item["notes"])  # the handler's note is not public


@pytest.mark.django_db
def test_without_extensions_the_json_is_a_bare_array(city):
    with _later():
        body = get_json(city.http, "/requests.json")[1]
    assert isinstance(body, list) and len(body) == 3
    assert all("extended_attributes" not in r and "notes" not in r for r in body)


@pytest.mark.django_db
def test_extensions_in_xml(city):
    with _later():
        status, root = get_xml(city.http, "/requests.xml", extensions="true")
    assert status == 200 and root.tag == "service_requests"
    assert root.findtext("meta/total") == "3"
    requests = root.findall("request")
    assert len(requests) == 3
    handled = next(r for r in requests if r.findtext("service_request_id") == city.north.number)
    assert handled.findtext("extended_attributes/detailed_status") == "handled"
    assert len(handled.findall("photos/photo")) == 1
    assert [n.findtext("type") for n in handled.findall("notes/note")][-1] == "feedback"


@pytest.mark.django_db
def test_pages(city):
    with _later():
        first = get_json(city.http, "/requests.json", page_size="2", extensions="true")[1]
        second = get_json(city.http, "/requests.json", page_size="2", page="2", extensions="true")[1]
    assert first["meta"]["total"] == second["meta"]["total"] == 3
    newest_first = [city.south.number, city.east.number, city.north.number]
    ids = [r["service_request_id"] for r in first["service_requests"] + second["service_requests"]]
    assert ids == newest_first


@pytest.mark.django_db
def test_bbox(city):
    with _later():
        north_row = get_json(city.http, "/requests.json", bbox="109.76,39.61,109.78,39.62")[1]
        west_column = get_json(city.http, "/requests.json", bbox="109.76,39.60,109.77,39.62")[1]
        xml_status, _ = get_xml(city.http, "/requests.xml", bbox="109.76,39.61,109.78,39.62")
        bad = city.http.get("/open311/v2/requests.json", {"bbox": "109.78,39.61,109.76"})
    assert {r["service_request_id"] for r in north_row} == {city.north.number, city.east.number}
    assert {r["service_request_id"] for r in west_column} == {city.north.number, city.south.number}
    assert xml_status == 200
    assert bad.status_code == 400


@pytest.mark.django_db
def test_lat_long_radius(city):
    near = east_of(NORTH_1, 300)
    with _later():
        within_500 = get_json(city.http, "/requests.json", lat=str(near[0]), long=str(near[1]), radius="500")[
            1
        ]
        within_1000 = get_json(
            city.http, "/requests.json", lat=str(near[0]), long=str(near[1]), radius="1000"
        )[1]
    # NORTH_1 is 300 m away, NORTH_2 (0.01° east, ~860 m from NORTH_1) about 560 m, SOUTH_1 over 1 km.
    assert {r["service_request_id"] for r in within_500} == {city.north.number}
    assert {r["service_request_id"] for r in within_1000} == {city.north.number, city.east.number}


@pytest.mark.django_db
def test_paging_is_within_the_window(city):
    with time_machine.travel(NOW + timedelta(days=100), tick=False):
        assert get_json(city.http, "/requests.json", extensions="true")[1]["meta"]["total"] == 0
