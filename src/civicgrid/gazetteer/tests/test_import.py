"""Importing the gazetteer from CSV and GeoJSON: the command and the admin; a bad row refuses the
file with its line number and nothing is saved."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from civicgrid.gazetteer.models import Place

GOOD_CSV = "kind,name,lat,lon,category\n道路,人民路,39.615,109.775,\n地点,第一小学,39.612,109.765,学校\ncommunity,北苑社区,39.6175,109.77,\n"
BAD_CSV = "kind,name,lat,lon\nroad,人民路,39.615,109.775\nplace,第一小学,39.612,109.765\nplace,坏点,北纬39,109.765\n"


def feature(geometry, **props):
    return {"type": "Feature", "geometry": geometry, "properties": props}


@pytest.mark.django_db
def test_csv_import_by_command(tmp_path, capsys):
    path = tmp_path / "places.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    call_command("gazetteer_import", str(path))
    assert "3 added" in capsys.readouterr().out
    school = Place.objects.get(name="第一小学")
    assert (school.kind, school.category, school.lat, school.lon, school.initials) == (
        "place",
        "学校",
        39.612,
        109.765,
        "dyxx",
    )
    call_command("gazetteer_import", str(path))  # again: the same rows are updated, not doubled
    assert Place.objects.count() == 3


@pytest.mark.django_db
def test_csv_bad_row_names_its_line_and_saves_nothing(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    with pytest.raises(CommandError) as err:
        call_command("gazetteer_import", str(path))
    assert "line 4" in str(err.value) and "第 4 行" in str(err.value) and "lat" in str(err.value)
    assert Place.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, words",
    [
        ("name,lat,lon\n人民路,39.6,109.7\n", ["line 1", "kind"]),
        ("kind,name,lat,lon\n河流,人民河,39.6,109.7\n", ["line 2", "kind"]),
        ("kind,name,lat,lon\nroad,,39.6,109.7\n", ["line 2"]),
        ("kind,name,lat,lon\nroad,人民路,95,109.7\n", ["line 2", "lat"]),
        ("kind,name,lat,lon\nroad,人民\x07路,39.6,109.7\n", ["line 2"]),
    ],
)
def test_csv_errors(tmp_path, text, words):
    path = tmp_path / "places.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as err:
        call_command("gazetteer_import", str(path))
    for word in words:
        assert word in str(err.value)
    assert Place.objects.count() == 0


@pytest.mark.django_db
def test_geojson_lines_are_roads_points_are_places(tmp_path):
    doc = {
        "type": "FeatureCollection",
        "features": [
            feature(
                {"type": "LineString", "coordinates": [[109.76, 39.615], [109.79, 39.615]]},
                name="人民路",
                road_class=1,
            ),
            feature({"type": "Point", "coordinates": [109.765, 39.612]}, name="第一小学", category="学校"),
            feature(
                {"type": "Point", "coordinates": [109.775, 39.615]},
                name="人民路与建设大街交叉口",
                kind="交叉口",
            ),
        ],
    }
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    call_command("gazetteer_import", str(path))
    road = Place.objects.get(name="人民路")
    assert road.kind == "road" and road.road_class == 1
    assert (road.lat, road.lon) == pytest.approx((39.615, 109.775))
    assert road.shape.length == pytest.approx(0.03)
    assert Place.objects.get(name="人民路与建设大街交叉口").kind == "intersection"


@pytest.mark.django_db
def test_geojson_bad_feature_names_its_number_and_saves_nothing(tmp_path):
    doc = {
        "type": "FeatureCollection",
        "features": [
            feature({"type": "Point", "coordinates": [109.765, 39.612]}, name="第一小学"),
            feature(
                {
                    "type": "Polygon",
                    "coordinates": [[[109.7, 39.6], [109.8, 39.6], [109.8, 39.7], [109.7, 39.6]]],
                },
                name="湖",
            ),
        ],
    }
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as err:
        call_command("gazetteer_import", str(path))
    assert "feature 2" in str(err.value) and "第 2 个要素" in str(err.value) and "Polygon" in str(err.value)
    assert Place.objects.count() == 0


@pytest.mark.django_db
def test_admin_import_page(client, world):
    client.force_login(world.admin)
    bad = SimpleUploadedFile("places.csv", BAD_CSV.encode(), content_type="text/csv")
    response = client.post("/admin/gazetteer/place/import/", {"file": bad})
    assert response.status_code == 400
    assert "第 4 行" in response.content.decode()
    assert Place.objects.count() == 0
    good = SimpleUploadedFile("places.csv", GOOD_CSV.encode("gb18030"), content_type="text/csv")
    response = client.post("/admin/gazetteer/place/import/", {"file": good})
    assert response.status_code == 302
    assert Place.objects.count() == 3
    assert client.get("/admin/gazetteer/place/").status_code == 200
