"""GET requests.{fmt} and requests/{id}.{fmt}: only what the public may see, in both formats; the
filters (ids, service codes, status, dates) and the spec's 90-day window."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from civicgrid.cases.tests.helpers import NORTH_2, local
from civicgrid.open311.tests.kit import build, error_of, get, get_json, get_xml, validate

NOW = local(2026, 3, 2, 10)


@pytest.fixture
def city(routed_world, categories):
    with time_machine.travel(NOW, tick=False):
        o = build(routed_world, categories)
        o.registered = o.report(
            "06010",
            description="请回电 13812345678：小区门口垃圾成堆",
            contact_name="王芳",
            contact_phone="13900001234",
        )
        o.road = o.report("06013", NORTH_2, status="closed")
        o.unregistered = o.report("06010", (39.605, 109.765), status="reported", description="尚未立案的上报")
        o.private = o.report("06010", (39.615, 109.785), is_public=False, description="不公开的上报")
    yield o


def _at(**params):
    return time_machine.travel(NOW + timedelta(hours=1), tick=False)


@pytest.mark.django_db
def test_list_in_json_shows_public_cases_only(city):
    with _at():
        status, body = get_json(city.http, "/requests.json")
    assert status == 200
    validate("requests", body)
    assert {r["service_request_id"] for r in body} == {city.registered.number, city.road.number}
    by_id = {r["service_request_id"]: r for r in body}
    garbage = by_id[city.registered.number]
    assert garbage["status"] == "open"
    assert garbage["status_notes"] == "待派遣"
    assert garbage["service_code"] == "06010" and garbage["service_name"] == "暴露垃圾"
    assert garbage["requested_datetime"].endswith("+08:00")
    assert garbage["lat"] == 39.615 and garbage["long"] == 109.765
    road = by_id[city.road.number]
    assert road["status"] == "closed" and road["expected_datetime"] is None
    assert road["agency_responsible"] == "住建局市政科"


@pytest.mark.django_db
def test_no_personal_data_in_public_answers(city):
    with _at():
        json_body = get(city.http, "/requests.json").content.decode()
        xml_body = get(city.http, "/requests.xml").content.decode()
        one = get(city.http, f"/requests/{city.registered.number}.json").content.decode()
    for text in (json_body, xml_body, one):
        assert "13812345678" not in text  # masked in the text, as the public page shows it
        assert "13900001234" not in text and "王芳" not in text  # the contact fields never
        assert "13900000001" not in text  # nor the reporter's account
        assert "小区门口垃圾成堆" in text  # the rest of the text, as the public page shows it


@pytest.mark.django_db
def test_list_in_xml_element_by_element(city):
    with _at():
        status, root = get_xml(city.http, "/requests.xml", service_code="06013")
    assert status == 200 and root.tag == "service_requests"
    (request,) = root.findall("request")
    assert request.findtext("service_request_id") == city.road.number
    assert request.findtext("status") == "closed"
    assert request.findtext("status_notes") == "已结案"
    assert request.findtext("service_code") == "06013"
    assert request.findtext("agency_responsible") == "住建局市政科"
    assert request.findtext("requested_datetime").endswith("+08:00")
    assert request.findtext("updated_datetime").endswith("+08:00")
    assert request.find("zipcode") is not None and request.findtext("zipcode") == ""
    assert float(request.findtext("lat")) == 39.615


@pytest.mark.django_db
def test_one_request_is_an_array_of_one(city):
    with _at():
        status, body = get_json(city.http, f"/requests/{city.registered.number}.json")
        status_xml, root = get_xml(city.http, f"/requests/{city.registered.number}.xml")
    assert status == 200 and isinstance(body, list) and len(body) == 1
    validate("requests", body)
    assert body[0]["service_request_id"] == city.registered.number
    assert body[0]["expected_datetime"].endswith("+08:00")  # the current step's deadline
    assert status_xml == 200 and len(root.findall("request")) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_case_the_public_may_not_see_is_404(city, fmt):
    for case in (city.unregistered, city.private):
        response = get(city.http, f"/requests/{case.number}.{fmt}")
        assert response.status_code == 404
        assert error_of(response)[0] == 404
    assert get(city.http, f"/requests/20260101999999.{fmt}").status_code == 404


@pytest.mark.django_db
def test_filters(city):
    with _at():
        ids = f"{city.registered.number},{city.unregistered.number},{city.road.number}"
        assert {
            r["service_request_id"] for r in get_json(city.http, "/requests.json", service_request_id=ids)[1]
        } == {
            city.registered.number,
            city.road.number,
        }
        only_open = get_json(city.http, "/requests.json", status="open")[1]
        assert [r["service_request_id"] for r in only_open] == [city.registered.number]
        only_closed = get_json(city.http, "/requests.json", status="closed")[1]
        assert [r["service_request_id"] for r in only_closed] == [city.road.number]
        both = get_json(city.http, "/requests.json", service_code="06010,06013")[1]
        assert len(both) == 2
        # An empty parameter behaves as an omitted one.
        assert len(get_json(city.http, "/requests.json", service_code="", status="")[1]) == 2


@pytest.mark.django_db
def test_the_default_window_is_the_last_90_days(city):
    with time_machine.travel(NOW + timedelta(days=89), tick=False):
        assert len(get_json(city.http, "/requests.json")[1]) == 2
    with time_machine.travel(NOW + timedelta(days=91), tick=False):
        assert get_json(city.http, "/requests.json")[1] == []
        # An explicit window still finds them.
        found = get_json(
            city.http,
            "/requests.json",
            start_date="2026-03-01T00:00:00+08:00",
            end_date="2026-03-03T00:00:00+08:00",
        )[1]
        assert len(found) == 2


@pytest.mark.django_db
def test_start_and_end_dates(city):
    with _at():
        before = get_json(
            city.http, "/requests.json", start_date="2026-01-01T00:00:00Z", end_date="2026-03-01T00:00:00Z"
        )[1]
        assert before == []
        after = get_json(city.http, "/requests.json", start_date="2026-03-02T09:00:00+08:00")[1]
        assert len(after) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_span_over_90_days_is_400(city, fmt):
    response = get(
        city.http, f"/requests.{fmt}", start_date="2026-01-01T00:00:00Z", end_date="2026-04-02T00:00:00Z"
    )
    assert response.status_code == 400
    code, description = error_of(response)
    assert code == 400 and "90" in description


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"start_date": "2026-03-01T00:00:00"},  # no time zone
        {"status": "pending"},
        {"service_code": "99999"},
        {"page_size": "1001"},
        {"page": "0"},
    ],
)
def test_bad_parameters(city, params):
    response = get(city.http, "/requests.json", **params)
    expected = 404 if "service_code" in params else 400
    assert response.status_code == expected
    assert error_of(response)[0] == expected
    validate("errors", response.json())


@pytest.mark.django_db
def test_status_notes_in_english_when_asked(city):
    with _at():
        by_locale = get_json(city.http, "/requests.json", locale="en", service_code="06013")[1]
        response = city.http.get(
            "/open311/v2/requests.json", {"service_code": "06013"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert by_locale[0]["status_notes"] == "Closed"
    assert response.json()[0]["status_notes"] == "Closed"
