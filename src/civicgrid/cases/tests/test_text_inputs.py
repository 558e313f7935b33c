"""Free text that a database or a spreadsheet cannot hold is refused on its field; exports survive
old rows that hold it; over-long contact fields are refused, not cut; phone numbers are checked."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.helpers import api_move, as_user, assert_error, post_json, report_body, submit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x0b", "\ud800"])
@pytest.mark.parametrize("field", ["description", "address", "contact_name"])
def test_control_characters_in_a_report_are_refused_on_their_field(client, routed_world, field, char):
    body = report_body(**{field: f"青春山路{char}1 号"})
    r = post_json(as_user(client, routed_world.citizen), "/api/cases", body)
    assert_error(r, 422, "text_control_character", field)
    assert Case.objects.count() == 0


def test_a_nul_byte_in_a_multipart_report_is_refused(client, routed_world):
    r = as_user(client, routed_world.citizen).post(
        "/api/cases", {"description": "坑\x00洞", "lat": "39.615", "lon": "109.765"}
    )
    assert_error(r, 422, "text_control_character", "description")
    assert Case.objects.count() == 0


def test_tabs_and_line_breaks_are_kept(client, routed_world):
    r = post_json(
        as_user(client, routed_world.citizen), "/api/cases", report_body(description="坑洞\r\n\t很深")
    )
    assert r.status_code == 201, r.content
    assert Case.objects.get().description == "坑洞\r\n\t很深"


@pytest.mark.parametrize(
    "field, length", [("contact_name", 40), ("address", 200), ("contact_phone", 20), ("description", 2000)]
)
def test_over_long_fields_are_refused_not_cut(client, routed_world, field, length):
    value = "1" * (length + 1) if field == "contact_phone" else "长" * (length + 1)
    r = post_json(as_user(client, routed_world.citizen), "/api/cases", report_body(**{field: value}))
    assert_error(r, 422, "description_too_long" if field == "description" else "text_too_long", field)
    assert Case.objects.count() == 0
    if field != "contact_phone":  # exactly the limit is stored whole
        r = post_json(
            as_user(client, routed_world.citizen), "/api/cases", report_body(**{field: "长" * length})
        )
        assert r.status_code == 201, r.content
        assert getattr(Case.objects.get(), field) == "长" * length


def test_an_over_long_source_ref_is_refused(routed_world):
    from civicgrid.core.errors import DomainError

    with pytest.raises(DomainError) as err:
        submit(routed_world.citizen, source_ref="x" * 81)
    assert err.value.code == "text_too_long" and err.value.field == "source_ref"
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "phone", ["abc<script>", "12", "1381234567a", "++8613812345678", "138 1234 5678 9999"]
)
def test_a_phone_that_is_not_a_phone_is_refused(client, routed_world, phone):
    r = post_json(as_user(client, routed_world.citizen), "/api/cases", report_body(contact_phone=phone))
    assert_error(r, 422, "phone_invalid" if len(phone) <= 20 else "text_too_long", "contact_phone")
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "+86 138 1234 5678",
        "138-1234-5678",
        "0477-8123456",
        "010 12345678",
        "+86 477 8123456",
        "12345",
    ],
)
def test_chinese_mobile_and_landline_numbers_are_accepted(client, routed_world, phone):
    r = post_json(as_user(client, routed_world.citizen), "/api/cases", report_body(contact_phone=phone))
    assert r.status_code == 201, r.content
    assert Case.objects.get().contact_phone == phone


def test_a_control_character_in_a_move_note_is_refused(client, routed_world, categories):
    case = submit(routed_world.citizen, category=categories["06013"])
    r = api_move(as_user(client, routed_world.dispatcher), case.number, "register", note="已核实\x1b[31m")
    assert_error(r, 422, "text_control_character", "note")
    case.refresh_from_db()
    assert case.status == "reported"
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_case_export_survives_control_characters_stored_before_the_check(client, routed_world, categories):
    case = submit(routed_world.citizen, category=categories["06013"])
    Case.objects.filter(pk=case.pk).update(description="井盖\x07缺失\x1b", address="=\x0bHYPERLINK()")
    client.force_login(routed_world.dispatcher)
    r = client.get("/dashboard/cases/?metric=reported&format=xlsx")
    assert r.status_code == 200, r.content[:500]
    values = list(load_workbook(io.BytesIO(r.content)).active.values)
    header = values[1]
    [row] = [v for v in values[2:] if v[0] == case.number]
    assert row[header.index("描述")] == "井盖缺失"
    assert row[header.index("地址")] == "'=HYPERLINK()"
