"""A bad GeoJSON grid file is refused with a clear message, and nothing at all is written."""

from __future__ import annotations

import copy

import pytest

from civicgrid.grids.importer import GridImportError, import_geojson
from civicgrid.grids.index import current_revision
from civicgrid.grids.models import Cell, Community, District, Street
from civicgrid.grids.tests.geojson import COMMUNITY, feature, good_collection, with_feature

BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[109.90, 39.80], [109.92, 39.82], [109.92, 39.80], [109.90, 39.82], [109.90, 39.80]]],
}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[109.90, 39.80], [109.91, 39.80], [109.91, 39.81], [109.90, 39.81], [109.90, 39.80]]],
}
SWAPPED = {
    "type": "Polygon",
    "coordinates": [[[39.80, 109.90], [39.80, 109.91], [39.81, 109.91], [39.81, 109.90], [39.80, 109.90]]],
}


def snapshot() -> tuple:
    return (
        sorted(District.objects.values_list("code", "name")),
        sorted(Street.objects.values_list("code", "name")),
        sorted(Community.objects.values_list("code", "name")),
        sorted(Cell.objects.values_list("code", "name", "geometry")),
        current_revision(),
    )


def duplicate_codes() -> dict:
    data = copy.deepcopy(good_collection())
    data["features"].append(copy.deepcopy(data["features"][3]))
    return data


CASES = {
    "bow-tie polygon": (
        with_feature(feature("cell", COMMUNITY + "009", "蝴蝶结", BOW_TIE)),
        5,
        "self-intersect",
    ),
    "point geometry": (
        with_feature(
            feature("cell", COMMUNITY + "009", "一个点", {"type": "Point", "coordinates": [109.91, 39.81]})
        ),
        5,
        "only Polygon or MultiPolygon are accepted, got Point",
    ),
    "code of the wrong length": (
        with_feature(feature("cell", COMMUNITY + "09", "短编码", SQUARE)),
        5,
        "must be 15 digits",
    ),
    "code with letters": (
        with_feature(feature("cell", COMMUNITY + "0a9", "字母", SQUARE)),
        5,
        "must be 15 digits",
    ),
    "parent community missing": (
        with_feature(feature("cell", "150602001002001", "孤儿格", SQUARE)),
        5,
        "parent community 150602001002 does not exist",
    ),
    "duplicate code": (duplicate_codes(), 5, "duplicate code (same as feature #3)"),
    "coordinates swapped": (
        with_feature(feature("cell", COMMUNITY + "009", "经纬颠倒", SWAPPED)),
        5,
        "off the globe",
    ),
    "cell without geometry": (
        with_feature(feature("cell", COMMUNITY + "009", "无边界", None)),
        5,
        "needs a polygon",
    ),
    "geometry as WKT text": (
        with_feature(feature("cell", COMMUNITY + "009", "文本", "POLYGON((0 0, 1 0, 1 1, 0 0))")),
        5,
        "only Polygon or MultiPolygon are accepted, got str",
    ),
    "malformed ring": (
        with_feature(
            feature(
                "cell",
                COMMUNITY + "009",
                "坏环",
                {"type": "Polygon", "coordinates": [[[109.9, 39.8], [109.91]]]},
            )
        ),
        5,
        "malformed geometry",
    ),
    "properties not an object": (
        with_feature({"type": "Feature", "properties": ["x"], "geometry": SQUARE}),
        5,
        "properties must be an object",
    ),
    "unknown level": (with_feature(feature("province", "15", "内蒙古", SQUARE)), 5, "unknown grid level"),
    "not a feature": (
        with_feature({"type": "Polygon", "coordinates": SQUARE["coordinates"]}),
        5,
        "not a GeoJSON Feature",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_feature_refuses_the_whole_file(db, case):
    data, bad_index, message = CASES[case]
    before = snapshot()
    with pytest.raises(GridImportError) as exc:
        import_geojson(data)
    assert snapshot() == before
    assert Cell.objects.count() == 0 and District.objects.count() == 0  # not even the good features
    err = exc.value
    assert err.code == "grid_import_invalid"
    assert err.status == 422
    assert [p.feature for p in err.problems] == [bad_index]
    assert message in err.problems[0].message_en
    assert err.problems[0].message_zh
    assert "nothing imported" in err.message_en and "未导入任何内容" in err.message_zh
    assert message in err.message_en


def test_a_bad_file_changes_nothing_already_there(world):
    data = with_feature(feature("cell", COMMUNITY + "009", "蝴蝶结", BOW_TIE))
    data["features"][0]["properties"]["name"] = "改名"
    before = snapshot()
    with pytest.raises(GridImportError):
        import_geojson(data)
    assert snapshot() == before


@pytest.mark.parametrize(
    "data",
    [
        [],
        "not json at all",
        {"type": "Feature", "geometry": SQUARE, "properties": {}},
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": {"0": {}}},
    ],
    ids=["list", "string", "single feature", "no features", "features not a list"],
)
def test_a_file_that_is_not_a_feature_collection_is_refused(db, data):
    with pytest.raises(GridImportError) as exc:
        import_geojson(data)
    assert "not a GeoJSON FeatureCollection" in exc.value.message_en
    assert District.objects.count() == 0


def test_every_problem_is_listed(db):
    data = with_feature(feature("cell", COMMUNITY + "009", "蝴蝶结", BOW_TIE))
    data["features"].append(feature("cell", COMMUNITY + "1", "短编码", SQUARE))
    data["features"].append(feature("cell", "150602001002001", "孤儿格", SQUARE))
    with pytest.raises(GridImportError) as exc:
        import_geojson(data)
    assert sorted(p.feature for p in exc.value.problems) == [5, 6, 7]
    assert "(+2)" in exc.value.message_en
    assert Cell.objects.count() == 0
