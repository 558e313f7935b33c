"""GET /api/exports/cases.csv: the period, the filters, masking by role and scope, Excel-safe CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AccessEvent, AccessKind
from civicgrid.cases.tests.helpers import assert_error
from civicgrid.exports.services import COLUMNS
from civicgrid.exports.tests.conftest import body, key_client

pytestmark = pytest.mark.django_db

NOVEMBER = {"since": "2026-11-01", "until": "2026-11-30"}


def rows_of(response) -> list[dict]:
    data = body(response)
    assert data.startswith("\ufeff".encode()), "UTF-8 with a BOM, for Excel"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_key_with_the_scope_gets_the_period_as_csv_masked(routed_world, reported):
    http = key_client(routed_world)
    response = http.get("/api/exports/cases.csv", NOVEMBER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cases-20261101-20261130.csv"'
    rows = rows_of(response)
    # The last day is included (23:30 on the 30th); December is not.
    assert [r["number"] for r in rows] == [c.number for c in reported[:3]]
    assert list(rows[0]) == [header for _key, header in COLUMNS]
    first, formula, hotline = rows
    assert first["lat"] == "39.615" and first["lon"] == "109.765"
    assert first["reported_at"] == "2026-11-02 09:00:00"  # local time
    assert first["status"] == "reported" and first["channel"] == "app"
    # The key lacks cases:read:personal: names and phones masked.
    assert first["contact_phone"] == "138****5678" and first["reporter_name"] == "王*"
    assert hotline["reporter_name"] == "李*" and hotline["contact_phone"] == "137****1111"
    assert formula["description"].startswith("'=HYPERLINK")


def test_personal_columns_for_a_key_with_the_personal_scope_and_a_role_that_may_see_them(
    routed_world, reported
):
    http = key_client(routed_world, scopes=("exports", "cases:read:personal"))
    rows = rows_of(http.get("/api/exports/cases.csv", NOVEMBER))
    assert rows[0]["contact_phone"] == "13812345678" and rows[0]["reporter_name"] == "王芳"
    assert rows[2]["reporter_name"] == "李四"
    event = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert event.detail["personal_data"] is True and event.detail["rows"] == 3


def test_the_scope_never_widens_a_role(routed_world, reported):
    world = routed_world
    http = key_client(
        world,
        role=Role.HANDLER,
        department=world.departments["ZJJ_SZ"],
        scopes=("exports", "cases:read:personal"),
    )
    # A handler sees only their department's cases (none dispatched here), and never personal data.
    assert rows_of(http.get("/api/exports/cases.csv", NOVEMBER)) == []


def test_a_session_follows_its_role(client, routed_world, reported):
    client.force_login(routed_world.dispatcher)
    rows = rows_of(client.get("/api/exports/cases.csv", NOVEMBER))
    assert rows[0]["contact_phone"] == "13812345678"
    citizen = Client()
    citizen.force_login(routed_world.citizen)
    own = rows_of(citizen.get("/api/exports/cases.csv", NOVEMBER))
    assert [r["number"] for r in own] == [reported[0].number, reported[1].number]
    assert own[0]["contact_phone"] == "138****5678"  # a role without personal data: masked


def test_filters_by_status_street_and_category(routed_world, reported):
    http = key_client(routed_world)
    assert len(rows_of(http.get("/api/exports/cases.csv", {**NOVEMBER, "status": "reported,closed"}))) == 3
    assert rows_of(http.get("/api/exports/cases.csv", {**NOVEMBER, "status": "closed"})) == []
    assert len(rows_of(http.get("/api/exports/cases.csv", {**NOVEMBER, "street": "150603001"}))) == 3
    assert rows_of(http.get("/api/exports/cases.csv", {**NOVEMBER, "category": "06013"})) == []


def test_date_times_bound_the_period_since_inclusive_until_exclusive(routed_world, reported):
    http = key_client(routed_world)
    params = {"since": "2026-11-02T09:00:00", "until": "2026-11-30T23:30:00+08:00"}
    rows = rows_of(http.get("/api/exports/cases.csv", params))
    assert [r["number"] for r in rows] == [reported[0].number, reported[1].number]


@pytest.mark.parametrize(
    "params, code, field",
    [
        ({"since": "2026-01-01", "until": "2027-01-02"}, "period_too_long", "until"),
        ({"since": "2026-13-01", "until": "2026-12-01"}, "period_invalid", "since"),
        ({"since": "2026-12-01", "until": "2026-11-01"}, "period_empty", "until"),
        ({**NOVEMBER, "status": "done"}, "status_invalid", "status"),
        ({**NOVEMBER, "department": "NOPE"}, "department_unknown", "department"),
        ({**NOVEMBER, "street": "999"}, "street_unknown", "street"),
    ],
)
def test_a_bad_request_is_a_clear_422_and_records_nothing(routed_world, reported, params, code, field):
    http = key_client(routed_world)
    assert_error(http.get("/api/exports/cases.csv", params), 422, code, field)
    assert not AccessEvent.objects.filter(kind=AccessKind.EXPORT).exists()


def test_a_whole_leap_year_is_one_call(routed_world, reported):
    http = key_client(routed_world)
    assert (
        http.get("/api/exports/cases.csv", {"since": "2028-01-01", "until": "2028-12-31"}).status_code == 200
    )


def test_a_key_without_the_exports_scope_is_refused(routed_world, reported):
    http = key_client(routed_world, scopes=("cases:read",))
    assert_error(http.get("/api/exports/cases.csv", NOVEMBER), 403, "scope_missing")
    assert Client().get("/api/exports/cases.csv", NOVEMBER).status_code == 401


def test_every_export_is_in_the_access_audit(routed_world, reported):
    http = key_client(routed_world)
    rows_of(http.get("/api/exports/cases.csv", {**NOVEMBER, "street": "150603001"}))
    event = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert event.actor.phone == "13900000301"
    assert event.target == "cases.csv"
    assert event.detail["rows"] == 3 and event.detail["personal_data"] is False
    filters = event.detail["filters"]
    assert filters["since"].startswith("2026-11-01T00:00:00") and filters["until"].startswith("2026-12-01")
    assert (filters["street"], filters["via"], filters["client"], filters["complete"]) == (
        "150603001",
        "api",
        "数据平台",
        True,
    )
