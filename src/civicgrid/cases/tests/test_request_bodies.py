"""Request bodies the API must refuse cleanly: the wrong type (415), JSON nested deeper than it can
be parsed (4xx, not a RecursionError), and a retried Idempotency-Key with a different report."""

from __future__ import annotations

import json

import pytest

from civicgrid.cases.models import Case
from civicgrid.cases.tests.helpers import NORTH_2, as_user, assert_error, post_json, report_body

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain; charset=utf-8", "application/xml"])
def test_a_json_body_of_another_type_is_refused_with_415(client, routed_world, content_type):
    r = as_user(client, routed_world.citizen).post(
        "/api/cases", data=json.dumps(report_body()), content_type=content_type
    )
    body = assert_error(r, 415, "unsupported_media_type", "Content-Type")
    assert "application/json" in body["message_en"]
    assert Case.objects.count() == 0


def test_json_with_a_charset_is_json(client, routed_world):
    r = as_user(client, routed_world.citizen).post(
        "/api/cases", data=json.dumps(report_body()), content_type="application/json; charset=utf-8"
    )
    assert r.status_code == 201, r.content


def test_deeply_nested_json_is_refused_not_a_500(client, routed_world):
    client = as_user(client, routed_world.citizen)
    r = client.post("/api/cases", data='{"description": ' + DEEP + "}", content_type="application/json")
    assert_error(r, 422, "json_invalid")
    # An endpoint whose body ninja parses (a schema): the same 422, not a 500.
    r = client.post(
        "/api/points/vouchers/use", data='{"token": ' + DEEP + "}", content_type="application/json"
    )
    assert_error(r, 422, "json_invalid")
    assert Case.objects.count() == 0


def test_the_same_idempotency_key_with_another_report_is_refused(client, routed_world):
    client = as_user(client, routed_world.citizen)
    key = {"Idempotency-Key": "retry-key-0100"}
    first = post_json(client, "/api/cases", report_body(description="井盖缺失"), **key)
    assert first.status_code == 201, first.content
    again = post_json(client, "/api/cases", report_body(description="井盖缺失"), **key)
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    for other in (
        report_body(description="路灯不亮"),
        report_body(NORTH_2, description="井盖缺失"),
        report_body(description="井盖缺失", address="青春山路 1 号"),
    ):
        r = post_json(client, "/api/cases", other, **key)
        body = assert_error(r, 422, "idempotency_key_reused", "Idempotency-Key")
        assert "different body" in body["message_en"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    "url, body, field",
    [
        ("/api/points/vouchers/use", {"token": "abc\u0000"}, "token"),
        ("/api/cases", report_body(category="06013\u0000"), "category"),
        ("/api/cases", {**report_body(), "kind": "\ud800"}, "kind"),
    ],
)
def test_a_nul_byte_anywhere_in_a_json_body_is_a_422_on_its_field(client, routed_world, url, body, field):
    """A lookup with a NUL byte reached PostgreSQL as text it refuses: a 500 before this check."""
    r = as_user(client, routed_world.citizen).post(
        url, data=json.dumps(body), content_type="application/json"
    )
    assert_error(r, 422, "text_control_character", field)
    assert Case.objects.count() == 0


def test_a_nul_byte_in_a_move_s_department_is_a_422(client, routed_world, categories):
    from civicgrid.cases.tests.helpers import api_move, submit

    case = submit(routed_world.citizen, category=categories["06013"])
    r = api_move(as_user(client, routed_world.dispatcher), case.number, "dispatch", department="ZJJ\u0000")
    assert_error(r, 422, "text_control_character", "department")
    case.refresh_from_db()
    assert case.status == "reported"
