"""discovery.{xml,json}: contact, key service, the production endpoint with both MIME types, and a
changeset that moves when a service definition changes."""

from __future__ import annotations

import pytest
import time_machine

from civicgrid.open311.models import Open311Attribute
from civicgrid.open311.tests.kit import build, get_json, get_xml, validate


@pytest.mark.django_db
def test_discovery_in_json(routed_world, categories, settings):
    o311w = build(routed_world, categories)
    settings.SITE_URL = "https://city.example.cn"
    status, body = get_json(o311w.http, "/discovery.json")
    assert status == 200
    validate("discovery", body)
    (endpoint,) = body["endpoints"]
    assert endpoint["url"] == "https://city.example.cn/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml; charset=utf-8", "application/json; charset=utf-8"]
    assert endpoint["changeset"] == body["changeset"]
    assert body["key_service"] and body["contact"]


@pytest.mark.django_db
def test_discovery_in_xml(routed_world, categories):
    o311w = build(routed_world, categories)
    status, root = get_xml(o311w.http, "/discovery.xml")
    assert status == 200 and root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml; charset=utf-8",
        "application/json; charset=utf-8",
    ]


@pytest.mark.django_db
def test_the_changeset_moves_when_an_attribute_changes(routed_world, categories):
    o311w = build(routed_world, categories)
    before = get_json(o311w.http, "/discovery.json")[1]["changeset"]
    attribute = Open311Attribute.objects.get(code="plate")
    with time_machine.travel("2099-01-01T00:00:00Z"):
        attribute.description = "车牌号"
        attribute.save()
    after = get_json(o311w.http, "/discovery.json")[1]["changeset"]
    assert after > before


@pytest.mark.django_db
def test_an_unknown_format_is_404(routed_world, categories):
    o311w = build(routed_world, categories)
    assert o311w.http.get("/open311/v2/discovery.csv").status_code == 404
