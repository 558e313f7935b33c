"""The drawn base map: the demo town's roads, blocks, places and boundaries as cached GeoJSON layers."""

from __future__ import annotations

import shapely
from shapely.geometry import shape

from civicgrid.demo.town import build_town
from civicgrid.gazetteer.models import Place, PlaceKind
from civicgrid.gazetteer.selectors import place_reverse


def layer(client, name: str):
    response = client.get(f"/api/places/base/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return response


def test_the_demo_town_fills_the_gazetteer(world):
    count = build_town()
    assert count == Place.objects.count()
    roads = Place.objects.filter(kind=PlaceKind.ROAD)
    assert roads.filter(name="人民路", road_class=1).exists()
    assert roads.filter(road_class=3, name__endswith="巷").exists()
    assert all(r.shape is not None and r.shape.length > 0.001 for r in roads)
    district = world.district.shape
    assert all(district.buffer(1e-9).contains(r.shape) for r in roads)
    # Every intersection lies on both its roads.
    for crossing in Place.objects.filter(kind=PlaceKind.INTERSECTION):
        first, second = crossing.name.removesuffix("交叉口").split("与")
        point = shapely.Point(crossing.lon, crossing.lat)
        for name in (first, second):
            assert roads.get(name=name).shape.distance(point) < 1e-6
    assert Place.objects.filter(kind=PlaceKind.PLACE, category="学校").exists()
    assert Place.objects.filter(kind=PlaceKind.COMMUNITY, name="北苑社区").exists()
    assert Place.objects.filter(name="北苑社区服务中心", category="社区服务中心").exists()
    # The same town every time: building again changes nothing.
    before = sorted(Place.objects.values_list("kind", "name", "lat", "lon"))
    build_town()
    assert sorted(Place.objects.values_list("kind", "name", "lat", "lon")) == before
    crossing = Place.objects.filter(kind=PlaceKind.INTERSECTION).first()
    assert place_reverse(crossing.lat, crossing.lon).address == crossing.name + "附近"


def test_layers_are_geojson_with_names_and_answer_304_when_unchanged(client, world):
    build_town()
    roads = layer(client, "roads")
    features = roads.json()["features"]
    assert {f["properties"]["name"] for f in features} == set(
        Place.objects.filter(kind=PlaceKind.ROAD).values_list("name", flat=True)
    )
    assert all(f["geometry"]["type"] in ("LineString", "MultiLineString") for f in features)
    assert "max-age" in roads["Cache-Control"]
    assert client.get("/api/places/base/roads", HTTP_IF_NONE_MATCH=roads["ETag"]).status_code == 304

    blocks = layer(client, "blocks").json()["features"]
    assert len(blocks) >= 4
    road_lines = shapely.union_all([shape(f["geometry"]) for f in features])
    assert all(
        not shape(b["geometry"]).intersects(road_lines) for b in blocks
    )  # blocks stop short of the roads

    boundaries = layer(client, "boundaries").json()["features"]
    labels = {f["properties"]["name"] for f in boundaries if f["properties"].get("label")}
    assert labels == {"青春山街道", "北苑社区", "南苑社区"}

    places = layer(client, "places").json()["features"]
    assert {"name": "第一小学", "category": "学校"} in [f["properties"] for f in places]


def test_a_change_to_the_gazetteer_changes_the_layer_and_its_etag(client, world):
    build_town()
    before = layer(client, "roads")
    road = Place.objects.get(name="人民路")
    road.name = "新人民路"
    road.save()
    from civicgrid.gazetteer.services import gazetteer_revision_bump

    gazetteer_revision_bump()
    after = layer(client, "roads")
    assert after["ETag"] != before["ETag"]
    assert "新人民路" in after.content.decode()
    assert client.get("/api/places/base/roads", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


def test_an_unknown_layer_is_404(client, world):
    response = client.get("/api/places/base/rivers")
    assert response.status_code == 404
    assert response.json()["message_zh"]
