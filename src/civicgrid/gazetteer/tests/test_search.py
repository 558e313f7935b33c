"""Place search through the API: Chinese in part, pinyin and its initials, codes and cells."""

from __future__ import annotations

import pytest

from civicgrid.gazetteer.models import Place


def names(client, q: str) -> list[str]:
    response = client.get("/api/places/search", {"q": q})
    assert response.status_code == 200, response.content
    return [r["name"] for r in response.json()["results"]]


@pytest.mark.django_db
def test_chinese_part_of_a_name_finds_it_exact_and_prefix_first(client, gazetteer):
    found = names(client, "人民")
    assert set(found) == {"人民路", "人民东路", "人民路与建设大街交叉口", "人民医院"}
    assert found[:2] == ["人民路", "人民东路"]  # prefix matches, roads before places, shorter first
    assert names(client, "人民路")[0] == "人民路"  # the exact name wins
    assert names(client, "建设") == ["建设大街", "人民路与建设大街交叉口"]
    assert names(client, "小学") == ["第一小学"]


@pytest.mark.django_db
def test_pinyin_initials_and_full_pinyin(client, gazetteer):
    assert names(client, "rml")[0] == "人民路"
    assert names(client, "RML")[0] == "人民路"
    assert names(client, "jsdj") == ["建设大街"]
    assert names(client, "renmin")[0] == "人民路"
    assert names(client, "wenhuaxiang") == ["文化巷"]
    assert "第一小学" in names(client, "dyxx")
    assert names(client, "zzzz") == []


@pytest.mark.django_db
def test_keys_are_stored_at_save_and_follow_a_rename(gazetteer):
    road = Place.objects.get(name="文化巷")
    assert (road.pinyin, road.initials) == ("wenhuaxiang", "whx")
    road.name = "书香巷"
    road.save()
    road.refresh_from_db()
    assert (road.pinyin, road.initials) == ("shuxiangxiang", "sxx")


@pytest.mark.django_db
def test_a_result_carries_kind_and_point(client, gazetteer):
    hit = client.get("/api/places/search", {"q": "第一小学"}).json()["results"][0]
    assert hit == {
        "name": "第一小学",
        "kind": "place",
        "kind_label": "地点/建筑",
        "lat": 39.612,
        "lon": 109.765,
        "address": "",
        "category": "学校",
    }


@pytest.mark.django_db
def test_a_cell_code_finds_the_cell(client, gazetteer, world):
    cell = next(iter(world.cells.values()))
    results = client.get("/api/places/search", {"q": cell.code}).json()["results"]
    assert results[0]["kind"] == "cell"
    centre = cell.shape.representative_point()
    assert (results[0]["lat"], results[0]["lon"]) == pytest.approx((centre.y, centre.x))
    assert cell.shape.contains(__import__("shapely").Point(results[0]["lon"], results[0]["lat"]))


@pytest.mark.django_db
def test_a_qr_code_token_or_its_url_finds_the_coded_place(client, gazetteer, codes):
    for typed in (codes.place.token, f"https://city.example/c/{codes.place.token}"):
        first = client.get("/api/places/search", {"q": typed}).json()["results"][0]
        assert first["kind"] == "code"
        assert (first["lat"], first["lon"]) == (39.615, 109.765)
        assert first["name"] == "青春山路 18 号北侧"
    forged = codes.place.token[:-2] + ("AA" if not codes.place.token.endswith("AA") else "BB")
    assert client.get("/api/places/search", {"q": forged}).json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "路" * 101}, {"q": "人民", "limit": 0}, {"q": "人民", "limit": 99}]
)
def test_bad_queries_are_refused_with_422(client, gazetteer, params):
    response = client.get("/api/places/search", params)
    assert response.status_code == 422
    body = response.json()
    assert body["message_zh"] and body["message_en"]


@pytest.mark.django_db
def test_control_characters_are_refused_and_never_reach_the_database(client, gazetteer):
    response = client.get("/api/places/search", {"q": "人民\x00路"})
    assert response.status_code == 400
    assert "control character" in response.json()["message_en"]
    from civicgrid.gazetteer.selectors import place_search

    assert place_search("人民\x00路\x07")[0].name == "人民路"  # a caller of the selector: dropped
