"""What the public see of a case: nothing before 立案 (unless configured), then the redacted text or the
centre's public summary — on /reports/, the public API and the nearby list; staff still read it whole."""

from __future__ import annotations

import pytest

from civicgrid.cases.models import CaseSummaryEdit
from civicgrid.cases.tests.helpers import NORTH_1, as_user, assert_error, run_to, submit
from civicgrid.testing import assert_append_only

pytestmark = pytest.mark.django_db

TEXT = "邻居张三 13712345678 乱扔垃圾，车牌京A12345"
REDACTED = "邻居张三 137******** 乱扔垃圾，车牌京A*****"


@pytest.fixture
def report(routed_world, categories):
    return submit(routed_world.citizen, NORTH_1, category=categories["04002"], description=TEXT)


def public_numbers(client) -> set[str]:
    return {c["number"] for c in client.get("/api/public/cases").json()}


def test_a_report_is_not_public_until_it_is_registered(client, routed_world, report):
    assert report.status == "reported"
    assert report.number not in public_numbers(client)
    assert_error(client.get(f"/api/public/cases/{report.number}"), 404, "case_not_found")
    assert client.get(f"/reports/{report.number}/").status_code == 404
    assert report.number not in client.get("/reports/").content.decode()

    run_to(report, "registered", routed_world)
    assert report.number in public_numbers(client)
    body = client.get(f"/api/public/cases/{report.number}").json()
    assert body["description"] == REDACTED
    page = client.get(f"/reports/{report.number}/").content.decode()
    assert REDACTED in page and "13712345678" not in page and "京A12345" not in page
    listing = client.get("/reports/").content.decode()
    assert report.number in listing and "13712345678" not in listing


def test_the_setting_publishes_reports_at_once_still_redacted(client, settings, report):
    settings.CIVICGRID_PUBLISH_BEFORE_REGISTRATION = True
    assert report.number in public_numbers(client)
    assert client.get(f"/api/public/cases/{report.number}").json()["description"] == REDACTED


def test_staff_and_the_reporter_read_the_text_as_written(client, routed_world, report):
    run_to(report, "registered", routed_world)
    for user in (routed_world.dispatcher, routed_world.citizen):
        assert as_user(client, user).get(f"/api/cases/{report.number}").json()["description"] == TEXT


def test_the_dispatcher_writes_a_public_summary_that_replaces_the_text(client, routed_world, report):
    run_to(report, "registered", routed_world)
    url = f"/api/cases/{report.number}/public-summary"
    r = as_user(client, routed_world.dispatcher).put(
        url, {"public_summary": "  路口有人乱扔垃圾  "}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["public_summary"] == "路口有人乱扔垃圾" and r.json()["description"] == TEXT
    client.logout()
    assert client.get(f"/api/public/cases/{report.number}").json()["description"] == "路口有人乱扔垃圾"
    assert "路口有人乱扔垃圾" in client.get("/reports/").content.decode()

    edit = CaseSummaryEdit.objects.get()
    assert (edit.case_id, edit.actor, edit.summary) == (
        report.pk,
        routed_world.dispatcher,
        "路口有人乱扔垃圾",
    )
    assert_append_only(edit)
    # Clearing it shows the redacted text again; every edit is kept.
    as_user(client, routed_world.dispatcher).put(url, {"public_summary": ""}, content_type="application/json")
    client.logout()
    assert client.get(f"/api/public/cases/{report.number}").json()["description"] == REDACTED
    assert list(CaseSummaryEdit.objects.values_list("summary", flat=True)) == ["路口有人乱扔垃圾", ""]
    # Not a move: the status and the events are as they were.
    report.refresh_from_db()
    assert report.status == "registered" and report.events.count() == 2


@pytest.mark.parametrize("name", ["citizen", "roads_handler", "leader", "grid_member"])
def test_only_the_centre_may_edit_the_public_summary(client, routed_world, report, name):
    run_to(report, "registered", routed_world)
    r = as_user(client, getattr(routed_world, name)).put(
        f"/api/cases/{report.number}/public-summary", {"public_summary": "x"}, content_type="application/json"
    )
    assert r.status_code in (403, 404), r.content
    assert not CaseSummaryEdit.objects.exists()


def test_nearby_offers_an_unregistered_case_to_join_without_its_text(
    client, routed_world, report, categories
):
    other = as_user(client, routed_world.roads_handler)
    params = {"lat": NORTH_1[0], "lon": NORTH_1[1], "category": "04002"}
    (row,) = other.get("/api/cases/nearby", params).json()
    assert row["number"] == report.number and row["description"] == ""
    run_to(report, "registered", routed_world)
    (row,) = other.get("/api/cases/nearby", params).json()
    assert row["description"] == REDACTED
