"""CSV imports read what Chinese offices save: UTF-8 with or without a BOM, and GB18030 (Excel's
default on a Chinese Windows); anything else is a clear error asking for UTF-8, never a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from civicgrid.codes.models import EBike
from civicgrid.taxonomy.models import RoutingRule

pytestmark = pytest.mark.django_db

EBIKES = "plate,owner,owner_name\n蒙K00001,13900000301,甲\n蒙K00002,13900000302,乙\n"
NOT_TEXT = b"plate,owner,owner_name\n\xff\xfe\x00\x81\x00\x00,13900000301,\x80\x80\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_the_api_imports_utf8_with_or_without_bom_and_gb18030(client, world, encoding):
    client.force_login(world.admin)
    data = EBIKES.encode(encoding)
    r = client.post("/api/codes/import", {"kind": "ebike", "file": SimpleUploadedFile("e.csv", data)})
    assert r.status_code == 201, r.content
    assert sorted(EBike.objects.values_list("plate", flat=True)) == ["蒙K00001", "蒙K00002"]


def test_the_api_refuses_a_file_in_an_unknown_encoding_on_its_field(client, world):
    client.force_login(world.admin)
    for data in (NOT_TEXT, "plate,owner\nCAFÉ-1,13900000301\n".encode("cp1252")):
        r = client.post("/api/codes/import", {"kind": "ebike", "file": SimpleUploadedFile("e.csv", data)})
        assert r.status_code == 422, r.content
        body = r.json()
        assert body["error"] == "csv_encoding" and body["field"] == "file"
        assert "UTF-8" in body["message_zh"] and "UTF-8" in body["message_en"]
    assert not EBike.objects.exists()


def test_the_admin_import_shows_the_encoding_error(client, world):
    client.force_login(world.admin)
    r = client.post(
        "/admin/codes/code/import-csv/", {"kind": "ebike", "file": SimpleUploadedFile("e.csv", NOT_TEXT)}
    )
    assert r.status_code == 422 and "UTF-8" in r.content.decode()
    r = client.post(
        "/admin/codes/code/import-csv/",
        {"kind": "ebike", "file": SimpleUploadedFile("e.csv", EBIKES.encode("gb18030"))},
    )
    assert r.status_code == 302
    assert EBike.objects.count() == 2


def test_commands_refuse_an_unknown_encoding_and_read_gb18030(world, categories, tmp_path):
    path = tmp_path / "rules.csv"
    path.write_bytes(NOT_TEXT)
    before = RoutingRule.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("routing_csv", "--load", str(path))
    assert "UTF-8" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        call_command("import_codes", "ebike", str(path))
    assert "UTF-8" in str(exc.value)
    assert RoutingRule.objects.count() == before and not EBike.objects.exists()
    path.write_bytes(EBIKES.encode("gb18030"))
    call_command("import_codes", "ebike", str(path))
    assert EBike.objects.count() == 2
