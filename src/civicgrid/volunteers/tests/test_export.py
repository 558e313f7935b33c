"""Record export: the ministry's record fields per team or street, CSV with a BOM and xlsx, no ID-card
number, masked phones; who may export; every export in the access audit; the command."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.audit.models import AccessEvent, AccessKind
from civicgrid.core.errors import PermissionDenied
from civicgrid.volunteers.export import COLUMNS, may_export_records, records_export
from civicgrid.volunteers.tests.records_fixtures import history_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

MINISTRY_FIELDS = [
    "志愿者编号",
    "姓名",
    "服务活动名称",
    "组织单位",
    "服务日期",
    "服务地点",
    "服务时长（小时）",
    "服务内容",
    "服务类型",
    "记录人",
]


def rows_of(content: bytes) -> list[dict]:
    assert content.startswith("\ufeff".encode())  # BOM: Excel reads the Chinese correctly
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_team_csv_has_the_ministry_fields_and_no_id_number(history, world):
    result = records_export(team=history.cleaning, fmt="csv", actor=world.grid_member)
    rows = rows_of(result.content)
    header = list(rows[0].keys())
    assert all(name in header for name in MINISTRY_FIELDS)
    assert not any("身份证" in h or "性别" in h for h in header)
    assert [(r["志愿者编号"], r["服务日期"], r["服务时长（小时）"]) for r in rows] == [
        ("V150603000001", "2026-10-10", "3.00"),
        ("V150603000002", "2026-10-10", "2.50"),
        ("V150603000001", "2026-11-07", "2.00"),
    ]
    first = rows[0]
    assert first["姓名"] == "王芳" and first["服务活动名称"] == "北苑清扫" and first["组织单位"] == "清洁队"
    assert (
        first["服务地点"] == "北苑社区广场" and first["服务类型"] == "环境清洁" and first["记录人"] == "李强"
    )
    assert first["服务内容"] == "清扫北苑社区公共区域"
    assert first["联系电话"] == "139****0001" and world.citizen.phone not in result.content.decode(
        "utf-8-sig"
    )
    assert result.rows == 3 and result.filename.endswith(".csv")


def test_formulas_are_defused_and_pending_hours_left_out(history, world):
    rows = rows_of(records_export(team=history.traffic, fmt="csv", actor=world.dispatcher).content)
    assert [r["服务活动名称"] for r in rows] == ["'=路口劝导"]  # 刘's pending hours are not a record yet
    assert rows[0]["组织单位"] == "交通队" and rows[0]["记录人"] == "张伟"


def test_street_xlsx(history, world):
    result = records_export(street=world.street, fmt="xlsx", actor=world.admin)
    ws = load_workbook(io.BytesIO(result.content)).active
    values = list(ws.values)
    header = list(values[1])
    assert header == [h for _k, h in COLUMNS]
    body = [dict(zip(header, row, strict=True)) for row in values[2:]]
    assert [r["服务时长（小时）"] for r in body] == [3.0, 2.5, 2.0]  # the street's activity; not 交通队's
    assert {r["联系电话"] for r in body} == {"139****0001", "137****0002"}


def test_who_may_export(history, world):
    office_staff = user_create(
        phone="13600000001", real_name="街道干部", role=Role.HANDLER, department=world.departments["JD_QCS"]
    )
    other_staff = user_create(
        phone="13600000002", real_name="他部门", role=Role.HANDLER, department=world.departments["YLZX"]
    )
    assert may_export_records(world.grid_member, team=history.cleaning)  # its leader
    assert not may_export_records(world.grid_member, team=history.traffic)
    assert may_export_records(office_staff, team=history.cleaning)  # the street office running it
    assert may_export_records(office_staff, street=world.street)
    assert not may_export_records(office_staff, team=history.traffic)
    assert not may_export_records(other_staff, street=world.street)
    assert may_export_records(world.admin, team=history.traffic) and may_export_records(
        world.leader, street=world.street
    )
    for person in (world.citizen, world.inspector, world.roads_handler):
        assert not may_export_records(person, team=history.cleaning)
        assert not may_export_records(person, street=world.street)
    with pytest.raises(PermissionDenied):
        records_export(team=history.cleaning, actor=world.citizen)
    assert not AccessEvent.objects.filter(kind=AccessKind.EXPORT).exists()  # a refusal records nothing


def test_the_download_page_audits_each_export(history, world):
    client = Client()
    client.force_login(world.grid_member)
    page = client.get("/v/records/export/")
    assert (
        page.status_code == 200
        and "清洁队" in page.content.decode()
        and "交通队" not in page.content.decode()
    )
    r = client.get("/v/records/export/", {"team": history.cleaning.pk, "format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"] and len(rows_of(r.content)) == 3
    event = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert event.actor == world.grid_member and event.target == "volunteer_records"
    assert event.detail["rows"] == 3 and event.detail["filters"]["team"] == history.cleaning.pk
    assert client.get("/v/records/export/", {"team": history.traffic.pk}).status_code == 403
    assert client.get("/v/records/export/", {"team": history.cleaning.pk, "format": "pdf"}).status_code == 400
    assert client.get("/v/records/export/", {"team": "999"}).status_code == 404
    client.force_login(world.citizen)
    assert client.get("/v/records/export/").status_code == 403
    assert AccessEvent.objects.filter(kind=AccessKind.EXPORT).count() == 1


def test_the_command_writes_the_file(history, world, tmp_path):
    out = tmp_path / "records.csv"
    call_command("volunteers", "export", "--street", world.street.code, "--format", "csv", "--out", str(out))
    rows = rows_of(out.read_bytes())
    assert len(rows) == 3
    xlsx = tmp_path / "team.xlsx"
    call_command(
        "volunteers", "export", "--team", str(history.traffic.pk), "--format", "xlsx", "--out", str(xlsx)
    )
    assert load_workbook(xlsx).active.max_row == 3  # title, header, one record
    assert AccessEvent.objects.filter(kind=AccessKind.EXPORT, detail__filters__via="command").count() == 2
