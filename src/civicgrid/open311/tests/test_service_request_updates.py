"""FixMyStreet's servicerequestupdates.{fmt}: the public status changes of public cases in a window,
each with a stable update_id and our own status as external_status_code."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from civicgrid.cases.models import CaseEvent
from civicgrid.cases.tests.helpers import NORTH_2, local, move
from civicgrid.open311.tests.kit import build, error_of, get, get_json, get_xml, validate

NOW = local(2026, 3, 2, 10)
WINDOW = {"start_date": "2026-03-02T00:00:00+08:00", "end_date": "2026-03-03T00:00:00+08:00"}


@pytest.fixture
def city(routed_world, categories):
    with time_machine.travel(NOW, tick=False):
        o = build(routed_world, categories)
        o.case = o.report("06013", status="dispatched")
        o.hidden = o.report("06010", NORTH_2, status="reported")
    return o


@pytest.mark.django_db
def test_updates_in_json(city):
    status, body = get_json(city.http, "/servicerequestupdates.json", **WINDOW)
    assert status == 200
    validate("service_request_updates", body)
    assert [u["external_status_code"] for u in body] == ["reported", "registered", "dispatched"]
    assert {u["service_request_id"] for u in body} == {city.case.number}  # not the unregistered report
    ids = [u["update_id"] for u in body]
    expected = (
        CaseEvent.objects.filter(case=city.case).order_by("created_at", "id").values_list("id", flat=True)
    )
    assert ids == [str(pk) for pk in expected]
    assert all(u["status"] == "open" and u["updated_datetime"].endswith("+08:00") for u in body)
    assert "派遣" in body[-1]["description"]
    # Stable: asked again, the same ids.
    assert [u["update_id"] for u in get_json(city.http, "/servicerequestupdates.json", **WINDOW)[1]] == ids


@pytest.mark.django_db
def test_updates_in_xml_and_since_a_time(city):
    later = NOW + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        move(city.case, "accept", city.world.roads_handler)
        move(city.case, "feedback", city.world.roads_handler, "已修复")
    status, root = get_xml(
        city.http,
        "/servicerequestupdates.xml",
        start_date="2026-03-02T11:00:00+08:00",
        end_date="2026-03-02T13:00:00+08:00",
    )
    assert status == 200 and root.tag == "service_request_updates"
    updates = root.findall("request_update")
    # 签收 (accept) is not on the public timeline; 处置反馈 (feedback) is.
    assert [u.findtext("external_status_code") for u in updates] == ["handled"]
    assert updates[0].findtext("service_request_id") == city.case.number
    assert updates[0].find("media_url") is not None


@pytest.mark.django_db
def test_the_api_key_is_optional_but_checked(city):
    assert get(city.http, "/servicerequestupdates.json", **WINDOW).status_code == 200
    assert get(city.http, "/servicerequestupdates.json", api_key=city.key, **WINDOW).status_code == 200
    response = get(city.http, "/servicerequestupdates.xml", api_key="cgk_wrong", **WINDOW)
    assert response.status_code == 403 and error_of(response)[0] == 403


@pytest.mark.django_db
def test_a_window_over_90_days_is_400(city):
    response = get(
        city.http,
        "/servicerequestupdates.json",
        start_date="2026-01-01T00:00:00Z",
        end_date="2026-06-01T00:00:00Z",
    )
    assert response.status_code == 400
