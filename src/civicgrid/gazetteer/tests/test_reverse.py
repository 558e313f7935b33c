"""The nearest address of a point: intersection, place, house number along a road, community."""

from __future__ import annotations

import pytest

from civicgrid.gazetteer.models import Place
from civicgrid.gazetteer.selectors import place_reverse
from civicgrid.gazetteer.services import Row, places_save

M = 1 / 111_000  # about a metre of latitude, in degrees


def address(client, lat: float, lon: float):
    response = client.get("/api/places/reverse", {"lat": lat, "lon": lon})
    assert response.status_code == 200, response.content
    return response.json()["address"]


@pytest.mark.django_db
def test_near_an_intersection(client, gazetteer):
    found = address(client, 39.615 + 20 * M, 109.775 + 10 * M)
    assert found["address"] == "人民路与建设大街交叉口附近"
    assert found["kind"] == "intersection"
    assert 15 < found["distance"] < 30


@pytest.mark.django_db
def test_near_a_place(client, gazetteer):
    assert address(client, 39.612 + 15 * M, 109.765)["address"] == "第一小学附近"


@pytest.mark.django_db
def test_house_numbers_along_a_road_odd_on_the_left_even_on_the_right(client, gazetteer):
    # 文化巷 starts at 109.762 and runs east; 109.7641 is ≈ 180 m along it (pair 9 → 19 / 20).
    north = address(client, 39.605 + 20 * M, 109.7641)
    south = address(client, 39.605 - 20 * M, 109.7641)
    assert north["address"] == "文化巷 19 号附近"
    assert south["address"] == "文化巷 20 号附近"
    assert north["kind"] == "road" and north["name"] == "文化巷"
    start = address(client, 39.605 + 10 * M, 109.7621)
    assert start["address"] == "文化巷 1 号附近"


@pytest.mark.django_db
def test_far_from_roads_the_community_and_nothing_outside_the_town(client, gazetteer):
    assert address(client, 39.6195, 109.7620)["address"] == "北苑社区附近"
    assert address(client, 30.0, 100.0) is None


@pytest.mark.django_db
def test_the_index_follows_a_change(client, gazetteer):
    assert address(client, 39.6085, 109.7880) is None  # nothing near yet
    places_save(rows=[Row("place", "滨河公园", 39.6085, 109.7880, category="公园")])
    assert address(client, 39.6085, 109.7880)["address"] == "滨河公园附近"
    Place.objects.filter(name="滨河公园").update(lat=39.0)  # a change by another process
    from civicgrid.gazetteer.services import gazetteer_revision_bump

    gazetteer_revision_bump()
    assert place_reverse(39.6085, 109.7880) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"lat": 39.6},
        {"lon": 109.7},
        {"lat": "north", "lon": 109.7},
        {"lat": 91, "lon": 109.7},
        {"lat": 39.6, "lon": 181},
    ],
)
def test_bad_points_are_refused_with_422(client, gazetteer, params):
    response = client.get("/api/places/reverse", params)
    assert response.status_code == 422
    assert response.json()["message_zh"]
