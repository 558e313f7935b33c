"""services.{fmt}: the categories as services (code, name, group = major class, realtime) and
services/{code}.{fmt}: the definition with attributes of the six datatypes."""

from __future__ import annotations

import pytest

from civicgrid.open311.tests.kit import build, error_of, get, get_json, get_xml, validate


@pytest.mark.django_db
def test_services_in_json(routed_world, categories):
    o311w = build(routed_world, categories)
    status, body = get_json(o311w.http, "/services.json")
    assert status == 200
    validate("services", body)
    by_code = {s["service_code"]: s for s in body}
    assert set(by_code) == {"01003", "04002", "06010", "06013", "09006"}
    garbage = by_code["06010"]
    assert garbage["service_name"] == "暴露垃圾"
    assert garbage["group"] == "市容环境类"
    assert garbage["type"] == "realtime"
    assert garbage["metadata"] is True  # it has a definition
    assert by_code["06013"]["metadata"] is False


@pytest.mark.django_db
def test_services_in_xml(routed_world, categories):
    o311w = build(routed_world, categories)
    status, root = get_xml(o311w.http, "/services.xml")
    assert status == 200 and root.tag == "services"
    services = root.findall("service")
    assert len(services) == 5
    garbage = next(s for s in services if s.findtext("service_code") == "06010")
    assert garbage.findtext("service_name") == "暴露垃圾"
    assert garbage.findtext("metadata") == "true"
    assert garbage.findtext("type") == "realtime"
    assert garbage.findtext("group") == "市容环境类"


@pytest.mark.django_db
def test_a_code_both_a_component_and_a_matter_is_qualified_by_kind(routed_world, categories):
    o311w = build(routed_world, categories)
    from civicgrid.taxonomy.models import Category

    Category.objects.create(
        kind="matter", code="01003", major_name="市政公用", name="井盖事项", is_local=True
    )
    codes = {s["service_code"] for s in get_json(o311w.http, "/services.json")[1]}
    assert {"component:01003", "matter:01003"} <= codes and "01003" not in codes
    assert get_json(o311w.http, "/services/matter:01003.json")[1]["service_code"] == "matter:01003"


@pytest.mark.django_db
def test_definition_in_json_has_the_six_datatypes(routed_world, categories):
    o311w = build(routed_world, categories)
    status, body = get_json(o311w.http, "/services/06010.json")
    assert status == 200
    validate("service_definition", body)
    assert body["service_code"] == "06010"
    attributes = body["attributes"]
    assert [a["datatype"] for a in attributes] == [
        "number",
        "datetime",
        "string",
        "text",
        "singlevaluelist",
        "multivaluelist",
    ]
    assert [a["order"] for a in attributes] == [1, 2, 3, 4, 5, 6]
    kind = attributes[4]
    assert kind["code"] == "kind" and kind["required"] is True and kind["variable"] is True
    assert kind["values"] == [
        {"key": "household", "name": "生活垃圾"},
        {"key": "construction", "name": "建筑垃圾"},
    ]
    assert "values" not in attributes[0]


@pytest.mark.django_db
def test_definition_in_xml(routed_world, categories):
    o311w = build(routed_world, categories)
    status, root = get_xml(o311w.http, "/services/06010.xml")
    assert status == 200 and root.tag == "service_definition"
    assert root.findtext("service_code") == "06010"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == [
        "bin_count",
        "seen_at",
        "plate",
        "detail",
        "kind",
        "smell",
    ]
    smell = attributes[5]
    assert smell.findtext("datatype") == "multivaluelist"
    assert smell.findtext("required") == "false"
    assert [v.findtext("key") for v in smell.findall("values/value")] == ["odour", "flies", "leak"]


@pytest.mark.django_db
def test_a_service_without_attributes_has_an_empty_definition(routed_world, categories):
    o311w = build(routed_world, categories)
    status, body = get_json(o311w.http, "/services/06013.json")
    assert status == 200 and body == {"service_code": "06013", "attributes": []}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_service_is_404(routed_world, categories, fmt):
    o311w = build(routed_world, categories)
    response = get(o311w.http, f"/services/99999.{fmt}")
    assert response.status_code == 404
    code, description = error_of(response)
    assert code == 404 and "99999" in description and " / " in description


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_jurisdiction(routed_world, categories, settings, fmt):
    o311w = build(routed_world, categories)
    # Any (or none) is accepted while none is configured.
    assert get(o311w.http, f"/services.{fmt}", jurisdiction_id="whatever.example").status_code == 200
    settings.CIVICGRID_OPEN311_JURISDICTION = "kangbashi.example.cn"
    assert get(o311w.http, f"/services.{fmt}", jurisdiction_id="kangbashi.example.cn").status_code == 200
    assert get(o311w.http, f"/services.{fmt}", jurisdiction_id="").status_code == 200
    response = get(o311w.http, f"/services.{fmt}", jurisdiction_id="other.example")
    assert response.status_code == 404
    assert error_of(response)[0] == 404
