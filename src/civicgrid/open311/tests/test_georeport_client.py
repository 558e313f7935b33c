"""The independent GeoReport v2 client from PyPI (`georeport`) against a live server: services, a
definition and requests, in XML and in JSON."""

from __future__ import annotations

import pytest
from georeport import GeoReport

from civicgrid.cases.tests.helpers import NORTH_2
from civicgrid.open311.tests.kit import build


@pytest.fixture
def city(routed_world, categories):
    o = build(routed_world, categories)
    o.first = o.report("06010")
    o.second = o.report("06013", NORTH_2, status="closed")
    return o


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_the_georeport_client_reads_services_and_requests(city, live_server, fmt):
    client = GeoReport(
        f"{live_server.url}/open311/v2", jurisdiction="kangbashi.example.cn", output_format=fmt
    )

    services = client.get_service_list()
    by_code = {s["service_code"]: s for s in services}
    assert by_code["06010"]["service_name"] == "暴露垃圾"
    assert by_code["06010"]["type"] == "realtime"

    definition = client.get_service_definition("06010")
    if fmt == "xml":
        definition = definition.get("service_definition", definition)
    assert definition["service_code"] == "06010"

    requests = client.get_service_requests(service_code="06010,06013")
    assert {r["service_request_id"] for r in requests} == {city.first.number, city.second.number}

    closed = client.get_service_requests(status="closed")
    closed = closed if isinstance(closed, list) else [closed]  # xmltodict: one item is not a list
    assert [r["service_request_id"] for r in closed] == [city.second.number]

    one = client.get_service_request(city.first.number)
    assert one["service_request_id"] == city.first.number
    assert one["status"] == "open"
    assert one["service_code"] == "06010"
