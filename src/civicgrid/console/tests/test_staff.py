"""人员管理 through the pages: a department admin manages their department's staff and no one else's."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from civicgrid.accounts.models import User
from civicgrid.audit.models import AccessEvent, AccessKind
from civicgrid.console.tests.helpers import as_user
from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    as_user(client, world.department_admin)
    return client


def snapshot(user: User) -> tuple:
    user.refresh_from_db()
    return (user.role, user.department_id, user.is_active, user.password, user.real_name)


def staff_events() -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(kind=AccessKind.STAFF).order_by("id"))


def xlsx(rows: list[list]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["手机号", "姓名", "角色", "部门编码"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "staff.xlsx"
    return out


def test_the_list_shows_the_department_and_its_sections_only(admin_client, world):
    page = admin_client.get("/console/staff/").content.decode()
    assert "刘洋" in page  # 住建局市政科, a section of the admin's bureau
    assert "孙丽" in page
    assert "陈静" not in page  # 园林绿化中心: another department
    assert "张伟" not in page  # the centre's dispatcher
    assert 'href="/console/staff/"' in page  # the console's menu leads here


@pytest.mark.parametrize("persona", ["roads_handler", "dispatcher", "citizen", "leader"])
def test_who_manages_no_staff_is_refused(client, world, persona):
    as_user(client, getattr(world, persona))
    assert client.get("/console/staff/").status_code == 403
    response = client.post(
        "/console/staff/add/",
        {
            "phone": "13800001111",
            "real_name": "钱七",
            "role": "handler",
            "department": world.departments["ZJJ"].pk,
        },
    )
    assert response.status_code == 403
    assert not User.objects.filter(phone="13800001111").exists()


def test_add_a_new_person_by_phone(admin_client, world):
    section = world.departments["ZJJ_SZ"]
    response = admin_client.post(
        "/console/staff/add/",
        {"phone": "138 0000 1111", "real_name": "钱七", "role": "handler", "department": section.pk},
    )
    assert response.status_code == 302
    person = User.objects.get(phone="13800001111")
    assert (person.real_name, person.role, person.department, person.is_active) == (
        "钱七",
        "handler",
        section,
        True,
    )
    assert not person.has_usable_password()
    [event] = staff_events()
    assert (event.actor, event.subject, event.target) == (world.department_admin, person, "staff_add")
    assert event.detail == {"created": True, "role": "handler", "department": "ZJJ-SZ"}
    assert "钱七" in admin_client.get("/console/staff/").content.decode()


def test_add_attaches_a_citizen_s_existing_account(admin_client, world):
    response = admin_client.post(
        "/console/staff/add/",
        {
            "phone": world.citizen.phone,
            "real_name": "王芳",
            "role": "handler",
            "department": world.departments["ZJJ"].pk,
        },
    )
    assert response.status_code == 302
    world.citizen.refresh_from_db()
    assert (world.citizen.role, world.citizen.department.code) == ("handler", "ZJJ")
    assert staff_events()[0].detail["created"] is False


def test_another_department_s_staff_cannot_be_taken_or_touched(admin_client, world):
    other = world.parks_handler  # 园林绿化中心
    before = snapshot(other)
    response = admin_client.post(
        "/console/staff/add/",
        {
            "phone": other.phone,
            "real_name": "陈静",
            "role": "handler",
            "department": world.departments["ZJJ"].pk,
        },
    )
    assert response.status_code == 409
    assert "其他部门" in response.content.decode()
    for url, data in [
        (f"/console/staff/{other.pk}/role/", {"role": "department_admin"}),
        (f"/console/staff/{other.pk}/move/", {"department": world.departments["ZJJ"].pk}),
        (f"/console/staff/{other.pk}/active/", {"active": "0"}),
        (f"/console/staff/{other.pk}/password/", {}),
        (f"/console/staff/{world.dispatcher.pk}/active/", {"active": "0"}),
    ]:
        response = admin_client.post(url, data)
        assert response.status_code == 404, url
        assert "本部门没有这名人员" in response.content.decode()
    assert snapshot(other) == before
    assert world.dispatcher.is_active
    assert staff_events() == []


def test_own_staff_cannot_be_moved_out_of_the_department(admin_client, world):
    person = world.roads_handler
    before = snapshot(person)
    response = admin_client.post(
        f"/console/staff/{person.pk}/move/", {"department": world.departments["YLZX"].pk}
    )
    assert response.status_code == 403
    assert "只能安排到本部门或下属科室" in response.content.decode()
    response = admin_client.post(
        "/console/staff/add/",
        {
            "phone": "13800002222",
            "real_name": "孙八",
            "role": "handler",
            "department": world.departments["YLZX"].pk,
        },
    )
    assert response.status_code == 403
    assert snapshot(person) == before
    assert not User.objects.filter(phone="13800002222").exists()


@pytest.mark.parametrize("role", ["admin", "dispatcher", "leader", "auditor", "citizen", "mayor"])
def test_no_role_above_the_admin_s_own_is_granted(admin_client, world, role):
    person = world.roads_handler
    before = snapshot(person)
    response = admin_client.post(f"/console/staff/{person.pk}/role/", {"role": role})
    assert response.status_code == 403
    assert "不能授予这个角色" in response.content.decode()
    response = admin_client.post(
        "/console/staff/add/",
        {
            "phone": "13800003333",
            "real_name": "周九",
            "role": role,
            "department": world.departments["ZJJ"].pk,
        },
    )
    assert response.status_code == 403
    assert snapshot(person) == before
    assert not User.objects.filter(phone="13800003333").exists()
    assert staff_events() == []


def test_role_change_and_move_between_sections(admin_client, world):
    person = world.roads_handler
    assert (
        admin_client.post(f"/console/staff/{person.pk}/role/", {"role": "department_admin"}).status_code
        == 302
    )
    zjj = world.departments["ZJJ"]
    assert admin_client.post(f"/console/staff/{person.pk}/move/", {"department": zjj.pk}).status_code == 302
    person.refresh_from_db()
    assert (person.role, person.department) == ("department_admin", zjj)
    role_event, move_event = staff_events()
    assert role_event.detail == {"before": "handler", "after": "department_admin"}
    assert move_event.detail == {"before": "ZJJ-SZ", "after": "ZJJ"}


def test_deactivate_stops_the_sign_in_and_reactivate_restores_it(admin_client, client, world):
    from django.test import Client

    person = world.roads_handler
    assert admin_client.post(f"/console/staff/{person.pk}/active/", {"active": "0"}).status_code == 302
    assert not Client().login(phone=person.phone, password=PASSWORD)
    assert admin_client.post(f"/console/staff/{person.pk}/active/", {"active": "1"}).status_code == 302
    assert Client().login(phone=person.phone, password=PASSWORD)
    assert [e.target for e in staff_events()] == ["staff_deactivate", "staff_activate"]


def test_the_admin_cannot_deactivate_or_demote_themselves(admin_client, world):
    me = world.department_admin
    before = snapshot(me)
    for url, data in [
        (f"/console/staff/{me.pk}/active/", {"active": "0"}),
        (f"/console/staff/{me.pk}/role/", {"role": "handler"}),
    ]:
        response = admin_client.post(url, data)
        assert response.status_code == 422
        assert "另一位管理员" in response.content.decode()
    assert snapshot(me) == before


def test_password_reset_shows_a_temporary_password_once(admin_client, world):
    from django.test import Client

    person = world.roads_handler
    response = admin_client.post(f"/console/staff/{person.pk}/password/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = re.search(r'id="temp-password-value">([^<]+)<', response.content.decode()).group(1)
    assert len(raw) == 12
    assert Client().login(phone=person.phone, password=raw)
    assert not Client().login(phone=person.phone, password=PASSWORD)
    [event] = staff_events()
    assert event.target == "staff_password_reset" and raw not in str(event.detail)
    assert raw not in admin_client.get("/console/staff/").content.decode()  # shown once


def test_import_template_download(admin_client, world):
    response = admin_client.get("/console/staff/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]] == ["手机号", "姓名", "角色", "部门编码"]
    codes = {row[0].value for row in book["说明"].iter_rows()}
    assert {"ZJJ", "ZJJ-SZ"} <= codes and "YLZX" not in codes


def test_import_adds_every_row(admin_client, world):
    data = xlsx(
        [
            ["13800004441", "吴一", "处置人员", "ZJJ-SZ"],
            [13800004442.0, "吴二", "department_admin", "ZJJ"],  # a phone typed as a number
            [None, None, None, None],  # blank rows are skipped
            ["13800004443", "吴三", "处置人员", "ZJJ"],
        ]
    )
    response = admin_client.post("/console/staff/import/", {"file": data})
    assert response.status_code == 302
    people = {
        u.phone: (u.real_name, u.role, u.department.code)
        for u in User.objects.filter(phone__startswith="1380000444")
    }
    assert people == {
        "13800004441": ("吴一", "handler", "ZJJ-SZ"),
        "13800004442": ("吴二", "department_admin", "ZJJ"),
        "13800004443": ("吴三", "handler", "ZJJ"),
    }
    assert len(staff_events()) == 3


def test_a_bad_row_refuses_the_whole_import_with_row_numbers(admin_client, world):
    data = xlsx(
        [
            ["13800005551", "郑一", "处置人员", "ZJJ"],  # good
            ["12345", "郑二", "处置人员", "ZJJ"],  # row 3: bad phone
            ["13800005553", "郑三", "系统管理员", "ZJJ"],  # row 4: role above the admin's
            ["13800005554", "郑四", "处置人员", "YLZX"],  # row 5: another department
            ["13800005551", "郑五", "处置人员", "ZJJ"],  # row 6: repeats row 2
            [world.parks_handler.phone, "陈静", "处置人员", "ZJJ"],  # row 7: another department's staff
        ]
    )
    response = admin_client.post("/console/staff/import/", {"file": data})
    assert response.status_code == 422
    page = response.content.decode()
    for row in (3, 4, 5, 6, 7):
        assert f"<li>第 {row} 行" in page, row
    assert "<li>第 2 行" not in page
    assert not User.objects.filter(phone__startswith="1380000555").exists()
    assert staff_events() == []


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"not a spreadsheet", "不是有效的 Excel"),
        (None, "请选择 .xlsx 文件"),
    ],
)
def test_import_refuses_what_is_not_a_spreadsheet(admin_client, world, payload, message):
    data = {}
    if payload is not None:
        data["file"] = io.BytesIO(payload)
        data["file"].name = "x.xlsx"
    response = admin_client.post("/console/staff/import/", data)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_import_refuses_a_sheet_without_the_template_header(admin_client, world):
    book = Workbook()
    book.active.append(["电话", "名字"])
    book.active.append(["13800006661", "冯一"])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "x.xlsx"
    response = admin_client.post("/console/staff/import/", {"file": out})
    assert response.status_code == 422
    assert "表头应为" in response.content.decode()
    assert not User.objects.filter(phone="13800006661").exists()


def test_deactivating_or_resetting_ends_the_person_s_sessions(admin_client, world):
    from django.test import Client

    handler, other = world.roads_handler, User.objects.get(phone="13900000005")
    sessions = {}
    for person in (handler, other):
        sessions[person.pk] = Client()
        sessions[person.pk].force_login(person)
        assert sessions[person.pk].get("/console/").status_code == 302  # to their queue
        assert "/accounts/login/" not in sessions[person.pk].get("/console/")["Location"]
    admin_client.post(f"/console/staff/{handler.pk}/active/", {"active": "0"})
    assert sessions[handler.pk].get("/console/")["Location"].startswith("/accounts/login/")
    other.department = world.departments["ZJJ"]
    other.save(update_fields=["department"])
    admin_client.post(f"/console/staff/{other.pk}/password/")
    assert sessions[other.pk].get("/console/")["Location"].startswith("/accounts/login/")


def test_an_administrator_manages_every_department_s_staff(client, world):
    as_user(client, world.admin)
    page = client.get("/console/staff/").content.decode()
    assert "陈静" in page and "刘洋" in page
    response = client.post(
        "/console/staff/add/",
        {
            "phone": "13800008881",
            "real_name": "蒋一",
            "role": "department_admin",
            "department": world.departments["YLZX"].pk,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(phone="13800008881").department.code == "YLZX"
    response = client.post(f"/console/staff/{world.parks_handler.pk}/role/", {"role": "dispatcher"})
    assert response.status_code == 403  # department roles only, here too


def test_the_list_is_filtered_by_name_phone_or_section(admin_client, world):
    section = world.departments["ZJJ_SZ"]
    page = admin_client.get("/console/staff/", {"in": section.pk}).content.decode()
    assert "刘洋" in page and 'data-phone="13900000006"' not in page
    page = admin_client.get("/console/staff/", {"q": "0006"}).content.decode()
    assert 'data-phone="13900000006"' in page and 'data-phone="13900000004"' not in page
    page = admin_client.get("/console/staff/", {"q": "陈静"}).content.decode()  # another department's
    assert 'data-phone="13900000005"' not in page
