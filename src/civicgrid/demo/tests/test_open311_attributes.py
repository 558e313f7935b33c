"""The demo city's Open311 definitions: the six datatypes among a few services, built once, and a
second build (the demo run again) changes nothing, an admin's edit included."""

from __future__ import annotations

import pytest

from civicgrid.demo.city import build_taxonomy
from civicgrid.demo.open311 import build_open311_attributes
from civicgrid.open311.models import Open311Attribute


@pytest.mark.django_db
def test_the_demo_definitions_cover_the_six_datatypes_and_build_once():
    build_taxonomy()
    created = build_open311_attributes()
    assert created == Open311Attribute.objects.count() > 0
    assert set(Open311Attribute.objects.values_list("datatype", flat=True)) == {
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    }
    rubbish = Open311Attribute.objects.filter(category__kind="matter", category__code="06010")
    assert list(rubbish.order_by("order").values_list("order", flat=True)) == [1, 2, 3, 4]
    kind = rubbish.get(code="waste_kind")
    assert kind.required and {"key": "household", "name": "生活垃圾"} in kind.values

    kind.description = "垃圾属于哪一类？"
    kind.save()
    stamps = dict(Open311Attribute.objects.values_list("pk", "updated_at"))
    build_open311_attributes()
    assert Open311Attribute.objects.count() == created
    assert dict(Open311Attribute.objects.values_list("pk", "updated_at")) == stamps
    assert Open311Attribute.objects.get(pk=kind.pk).description == "垃圾属于哪一类？"
