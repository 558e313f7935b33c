"""Creating codes of every kind: admin forms, the API, CSV (admin, API, management command)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from civicgrid.codes.models import Code, EBike, Household, Merchant, Place, Stall

pytestmark = [pytest.mark.django_db, pytest.mark.urls("civicgrid.codes.tests.urls_api")]

ZONE = json.dumps(
    {
        "type": "Polygon",
        "coordinates": [
            [[109.762, 39.612], [109.764, 39.612], [109.764, 39.614], [109.762, 39.614], [109.762, 39.612]]
        ],
    }
)

API_BODIES = {
    "household": {
        "community": "150603001001",
        "building": "1",
        "unit": "1",
        "room": "101",
        "residents": "13900000201;13900000202",
    },
    "place": {"name": "行道树", "component_code": "15060304002000001", "lat": 39.611, "lon": 109.771},
    "merchant": {
        "name": "好运面馆",
        "address": "康和路 1 号",
        "lat": 39.612,
        "lon": 109.772,
        "owner": "13900000203",
        "owner_name": "刘老板",
        "area": json.loads(ZONE),
        "grade": "B",
    },
    "stall": {
        "vendor": "13900000204",
        "goods": "烤红薯",
        "zone": ZONE,
        "hours_start": "16:00",
        "hours_end": "21:30",
    },
    "ebike": {"plate": "蒙k67890", "owner": "13900000205"},
}


@pytest.mark.parametrize("kind", list(API_BODIES))
def test_api_creates_each_kind(client, world, categories, kind):
    client.force_login(world.admin)
    response = client.post(
        "/api/codes", {"kind": kind, "data": API_BODIES[kind]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    code = Code.objects.get(pk=body["id"])
    assert body["kind"] == kind and body["status"] == "active" and body["url"].endswith("/c/" + code.token)
    assert client.get(code.path).status_code == 200


def test_api_entity_details(client, world, categories):
    client.force_login(world.admin)
    for kind, data in API_BODIES.items():
        client.post("/api/codes", {"kind": kind, "data": data}, content_type="application/json")
    assert [p.real_name for p in Household.objects.get().residents.all()] == ["", ""]
    assert Place.objects.get().cell.code == "150603001001002"
    merchant = Merchant.objects.get()
    assert merchant.owner.real_name == "刘老板" and merchant.grade == "B" and merchant.shape.area > 0
    stall = Stall.objects.get()
    assert stall.hours_start.hour == 16 and stall.shape.geom_type == "Polygon"
    assert EBike.objects.get().plate == "蒙K67890"


def test_api_refuses_non_admins_and_bad_component_codes(client, world, categories):
    client.force_login(world.inspector)
    r = client.post(
        "/api/codes", {"kind": "ebike", "data": API_BODIES["ebike"]}, content_type="application/json"
    )
    assert r.status_code == 403
    client.force_login(world.admin)
    for bad, _reason in [
        ("1506030400200000", "17"),
        ("99999904002000001", "district"),
        ("15060301003000001", "category"),
    ]:
        data = {**API_BODIES["place"], "component_code": bad, "category": "04002"}
        r = client.post("/api/codes", {"kind": "place", "data": data}, content_type="application/json")
        assert r.status_code == 422, (bad, r.content)
        assert r.json()["field"] == "component_code"
    r = client.post(
        "/api/codes",
        {"kind": "place", "data": {**API_BODIES["place"], "lat": 40.5}},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["error"] == "outside_city"
    assert not Code.objects.exists()


def test_api_list_revoke_reissue(client, world, codes):
    client.force_login(world.admin)
    listed = client.get("/api/codes", {"kind": "merchant"}).json()
    assert [c["id"] for c in listed] == [codes.merchant.pk]
    r = client.post(f"/api/codes/{codes.merchant.pk}/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert client.post(f"/api/codes/{codes.merchant.pk}/revoke").status_code == 409
    r = client.post(f"/api/codes/{codes.merchant.pk}/reissue")
    assert r.status_code == 201 and r.json()["reissued_from"] == codes.merchant.pk
    assert client.post(f"/api/codes/{codes.merchant.pk}/reissue").status_code == 409
    client.get(r.json()["url"].split("127.0.0.1:8000")[-1])
    assert client.get(f"/api/codes/{r.json()['id']}").json()["scans"] == 1


PLACE_CSV = (
    "name,category,component_code,lat,lon,address\n"
    "雨水井盖一,01003,15060301003000011,39.615,109.765,北苑路\n"
    "雨水井盖二,,15060301003000012,39.616,109.766,北苑路\n"
)


def test_csv_import_with_the_management_command(world, categories, tmp_path, capsys):
    path = tmp_path / "places.csv"
    path.write_text(PLACE_CSV, encoding="utf-8")
    call_command("import_codes", "place", str(path))
    assert Code.objects.filter(kind="place").count() == 2
    assert "codes created: 2" in capsys.readouterr().out


def test_csv_import_is_all_or_nothing_with_line_numbers(world, categories, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(
        PLACE_CSV + "坏的,01003,123,39.615,109.765,\n" + "远的,01003,15060301003000013,45,100,\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as exc:
        call_command("import_codes", "place", str(path))
    assert "第 4 行" in str(exc.value) and "第 5 行" in str(exc.value) and "line 4" in str(exc.value)
    assert not Code.objects.exists() and not Place.objects.exists()


def test_csv_import_through_the_api_and_the_admin(client, world, categories):
    client.force_login(world.admin)
    csv_text = "plate,owner,owner_name\n蒙K00001,13900000301,甲\n蒙K00002,13900000302,乙\n"
    r = client.post(
        "/api/codes/import", {"kind": "ebike", "file": SimpleUploadedFile("e.csv", csv_text.encode())}
    )
    assert r.status_code == 201 and len(r.json()) == 2
    stalls = f'vendor,goods,zone,hours_start,hours_end\n13900000303,早餐,"{ZONE.replace(chr(34), chr(34) * 2)}",06:00,09:00\n'
    r = client.post(
        "/admin/codes/code/import-csv/",
        {"kind": "stall", "file": SimpleUploadedFile("s.csv", stalls.encode("utf-8-sig"))},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Stall.objects.get().goods == "早餐"
    bad = "vendor,goods,zone,hours_start,hours_end\n13900000304,早餐,notjson,06:00,09:00\n"
    r = client.post(
        "/admin/codes/code/import-csv/", {"kind": "stall", "file": SimpleUploadedFile("s.csv", bad.encode())}
    )
    assert r.status_code == 422 and "第 2 行" in r.content.decode()


def test_admin_creates_each_kind_one_by_one(client, world, categories, people):
    client.force_login(world.admin)
    posts = {
        "household": {
            "community": world.north.pk,
            "building": "7",
            "unit": "",
            "room": "302",
            "residents": [people["resident"].pk],
        },
        "place": {
            "name": "行道树 12",
            "category": categories["04002"].pk,
            "component_code": "15060304002000012",
            "lat": "39.605",
            "lon": "109.765",
            "address": "",
        },
        "merchant": {
            "name": "便民超市",
            "owner": people["owner"].pk,
            "license_no": "",
            "address": "北苑路 3 号",
            "lat": "39.615",
            "lon": "109.765",
            "grade": "",
            "geometry_geojson": ZONE,
        },
        "stall": {
            "vendor": people["vendor"].pk,
            "goods": "鲜花",
            "hours_start": "08:00",
            "hours_end": "11:00",
            "geometry_geojson": ZONE,
        },
        "ebike": {"plate": "蒙K55555", "owner": people["rider"].pk},
    }
    inline = {"inspections-TOTAL_FORMS": "0", "inspections-INITIAL_FORMS": "0"}
    for kind, data in posts.items():
        extra = inline if kind == "merchant" else {}
        r = client.post(f"/admin/codes/{kind}/add/", {**data, **extra})
        assert r.status_code == 302, (kind, r.content.decode()[-3000:])
        assert Code.objects.filter(kind=kind).count() == 1, kind
    assert Merchant.objects.get().shape is not None and Place.objects.get().cell is not None


def test_admin_refuses_an_invalid_component_code(client, world, categories):
    client.force_login(world.admin)
    r = client.post(
        "/admin/codes/place/add/",
        {
            "name": "x",
            "category": categories["04002"].pk,
            "component_code": "15060301003000012",
            "lat": "39.605",
            "lon": "109.765",
        },
    )
    assert r.status_code == 200 and "7–11" in r.content.decode()
    assert not Code.objects.exists()


def test_admin_revoke_and_reissue_actions(client, world, codes):
    client.force_login(world.admin)
    r = client.post("/admin/codes/code/", {"action": "reissue", "_selected_action": [codes.ebike.pk]})
    assert r.status_code == 302
    assert (
        Code.objects.filter(ebike=codes.ebike.ebike, status="active").exclude(pk=codes.ebike.pk).count() == 1
    )
    client.post("/admin/codes/code/", {"action": "revoke", "_selected_action": [codes.place.pk]})
    assert Code.objects.get(pk=codes.place.pk).status == "revoked"
