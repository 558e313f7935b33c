"""GET /api/exports/cases.geojson: one RFC 7946 FeatureCollection, [lon, lat] in WGS-84."""

from __future__ import annotations

import json

import pytest

from civicgrid.exports.tests.conftest import body, key_client

pytestmark = pytest.mark.django_db


def test_the_period_as_a_feature_collection(routed_world, reported):
    http = key_client(routed_world)
    response = http.get("/api/exports/cases.geojson", {"since": "2026-11-01", "until": "2026-12-01"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cases-20261101-20261201.geojson"'
    collection = json.loads(body(response))
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [f["id"] for f in features] == [c.number for c in reported]
    first = features[0]
    assert first["type"] == "Feature"
    assert first["geometry"] == {"type": "Point", "coordinates": [109.765, 39.615]}  # lon, lat
    props = first["properties"]
    assert "lat" not in props and "lon" not in props
    assert props["reported_at"] == "2026-11-02T09:00:00+08:00"
    assert props["contact_phone"] == "138****5678" and props["status_label"] == "待立案"
    assert features[1]["properties"]["description"].startswith("=HYPERLINK")  # JSON: no formula guard


def test_an_empty_period_is_an_empty_collection(routed_world, reported):
    http = key_client(routed_world)
    response = http.get("/api/exports/cases.geojson", {"since": "2025-01-01", "until": "2025-01-31"})
    assert json.loads(body(response)) == {"type": "FeatureCollection", "features": []}
