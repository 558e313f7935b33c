"""/tiles/{z}/{x}/{y}.{ext} from a local MBTiles or PMTiles file, and the base map every map is told."""

from __future__ import annotations

import pytest

from civicgrid.gazetteer.tests.tilefiles import make_mbtiles, png

RED, BLUE = png((200, 0, 0)), png((0, 0, 200))


@pytest.fixture
def mbtiles(tmp_path, settings):
    # (1, 0, 0) is the north-west tile at zoom 1: in the file it is TMS row 1.
    path = make_mbtiles(
        tmp_path / "city.mbtiles",
        {(1, 0, 0): RED, (1, 0, 1): BLUE},
        attribution='<a href="https://example.org">© 康巴什测绘院</a><script>x()</script>',
    )
    settings.CIVICGRID_MBTILES_PATH = str(path)
    settings.CIVICGRID_TILE_URL = ""
    return path


@pytest.mark.django_db
def test_a_tile_is_served_with_the_tms_row_flipped_and_cache_headers(client, mbtiles):
    response = client.get("/tiles/1/0/0.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == RED
    assert client.get("/tiles/1/0/1.png").content == BLUE
    assert "max-age=86400" in response["Cache-Control"] and "public" in response["Cache-Control"]
    etag = response["ETag"]
    again = client.get("/tiles/1/0/0.png", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get("/tiles/1/0/1.png")["ETag"] != etag


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, status",
    [
        ("/tiles/1/1/1.png", 404),  # inside the world, not in the file
        ("/tiles/1/0/0.jpg", 404),  # the file holds PNG
        ("/tiles/1/2/0.png", 400),  # x ≥ 2^z
        ("/tiles/1/0/2.png", 400),
        ("/tiles/99/0/0.png", 400),
        ("/tiles/a/0/0.png", 400),
        ("/tiles/1/-1/0.png", 400),
        ("/tiles/1/0/0.gif", 400),
    ],
)
def test_missing_and_bad_tiles(client, mbtiles, url, status):
    response = client.get(url)
    assert response.status_code == status
    body = response.json()
    assert body["message_zh"] and body["message_en"]


@pytest.mark.django_db
def test_without_a_file_there_are_no_tiles(client, settings, tmp_path):
    settings.CIVICGRID_MBTILES_PATH = ""
    assert client.get("/tiles/1/0/0.png").status_code == 404
    settings.CIVICGRID_MBTILES_PATH = str(tmp_path / "missing.mbtiles")
    assert client.get("/tiles/1/0/0.png").status_code == 404


@pytest.mark.django_db
def test_a_pmtiles_file_is_served_too(client, settings, tmp_path, mbtiles):
    from pmtiles.convert import mbtiles_to_pmtiles

    target = tmp_path / "city.pmtiles"
    mbtiles_to_pmtiles(str(mbtiles), str(target), None)
    settings.CIVICGRID_MBTILES_PATH = str(target)
    assert client.get("/tiles/1/0/0.png").content == RED
    assert client.get("/tiles/1/0/1.png").content == BLUE
    assert client.get("/tiles/1/1/1.png").status_code == 404
    config = client.get("/api/places/basemap").json()
    assert config["source"] == "file" and config["tiles"] == "/tiles/{z}/{x}/{y}.png"


@pytest.mark.django_db
def test_the_basemap_is_the_file_with_its_attribution_as_text(client, mbtiles):
    config = client.get("/api/places/basemap").json()
    assert config["source"] == "file"
    assert config["tiles"] == "/tiles/{z}/{x}/{y}.png"
    assert config["maxNativeZoom"] == 1
    # The file's HTML is dropped and what is left escaped: Leaflet writes it with innerHTML.
    assert config["attribution"] == "© 康巴什测绘院x()"
    assert config["notice"] == ""


@pytest.mark.django_db
def test_an_external_tile_server_comes_first(client, settings, mbtiles):
    settings.CIVICGRID_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.CIVICGRID_TILE_ATTRIBUTION = "© 天地图 & <b>测绘</b>"
    config = client.get("/api/places/basemap").json()
    assert config["source"] == "external" and config["tiles"] == settings.CIVICGRID_TILE_URL
    assert config["attribution"] == "© 天地图 &amp; 测绘"


@pytest.mark.django_db
def test_without_tiles_the_drawn_base_map_and_a_notice_for_staff_only(client, settings, world):
    settings.CIVICGRID_MBTILES_PATH = ""
    settings.CIVICGRID_TILE_URL = ""
    config = client.get("/api/places/basemap").json()
    assert config["source"] == "vector" and config["tiles"] is None
    assert set(config["layers"]) == {"blocks", "roads", "places", "boundaries"}
    assert config["notice"] == ""  # anonymous visitors are not told about configuration
    for user in (world.citizen, world.grid_member, world.roads_handler):
        client.force_login(user)
        assert client.get("/api/places/basemap").json()["notice"] == ""
    client.force_login(world.dispatcher)
    assert client.get("/api/places/basemap").json()["notice"] == "未配置底图，显示平台数据绘制的示意底图"
    client.force_login(world.admin)
    assert client.get("/api/places/basemap").json()["notice"]
    settings.CIVICGRID_MBTILES_PATH = "/nonexistent/city.mbtiles"
    assert client.get("/api/places/basemap").json()["notice"] == "底图文件不可用，显示示意底图"
