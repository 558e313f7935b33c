"""A category switched off leaves the service list (no new requests for it), while its cases stay
readable under their code."""

from __future__ import annotations

import pytest

from civicgrid.open311.tests.kit import build, fms_post, get_json
from civicgrid.taxonomy import cache as taxonomy_cache


@pytest.mark.django_db
def test_an_inactive_category(routed_world, categories):
    o = build(routed_world, categories)
    case = o.report("06013")
    categories["06013"].active = False
    categories["06013"].save()
    taxonomy_cache.invalidate()
    assert "06013" not in {s["service_code"] for s in get_json(o.http, "/services.json")[1]}
    assert fms_post(o, fmt="json", service_code="06013").status_code == 404
    (item,) = get_json(o.http, f"/requests/{case.number}.json")[1]
    assert item["service_code"] == "06013" and item["service_name"] == "道路破损"
