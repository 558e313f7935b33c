"""Exports in the access audit: who, which file, the filter, how many rows, with personal data or not."""

from __future__ import annotations

import csv
import io

import pytest

from civicgrid.audit.models import AccessEvent, AccessKind
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, as_user, submit

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_queue_export_is_recorded_with_its_filter_and_row_count(client, routed_world, categories):
    w = routed_world
    submit(w.citizen, NORTH_1, category=categories["06013"], contact_phone="13912345678")
    submit(w.citizen, NORTH_2, category=categories["04002"])
    as_user(client, w.dispatcher)
    rows = csv_rows(client.get("/dashboard/exports/queue/all.csv?category=matter:06013&sort=-created"))
    assert len(rows) - 1 == 1 and "13912345678" in rows[1]
    entry = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert (
        entry.actor == w.dispatcher
        and entry.target.startswith("queue-all-")
        and entry.target.endswith(".csv")
    )
    assert entry.detail == {
        "filters": {"name": "all", "fmt": "csv", "category": "matter:06013", "sort": "-created"},
        "rows": 1,
        "personal_data": True,  # the dispatcher's file carries the phone unmasked
    }
    # The whole queue as a workbook: both cases.
    client.get("/dashboard/exports/queue/all.xlsx")
    latest = AccessEvent.objects.filter(kind=AccessKind.EXPORT).order_by("-id").first()
    assert latest.detail["rows"] == 2 and latest.target.endswith(".xlsx")


def test_a_leaders_export_carries_no_personal_data(client, routed_world, categories):
    w = routed_world
    submit(w.citizen, NORTH_1, category=categories["06013"], contact_phone="13912345678")
    as_user(client, w.leader)
    rows = csv_rows(client.get("/dashboard/exports/queue/all.csv"))
    assert "13912345678" not in str(rows)
    entry = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert entry.actor == w.leader and entry.detail["personal_data"] is False and entry.detail["rows"] == 1


def test_a_dashboard_table_export_is_recorded(client, routed_world):
    as_user(client, routed_world.leader)
    response = client.get("/dashboard/indicators.csv?group=street")
    assert response.status_code == 200
    entry = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert entry.target.startswith("indicators-street-") and entry.detail["filters"]["group"] == "street"
    assert entry.detail["rows"] == len(csv_rows(response)) - 1  # less the header


def test_an_admin_csv_export_is_recorded(client, routed_world, categories):
    as_user(client, routed_world.admin)
    from civicgrid.taxonomy.models import Category

    picked = list(Category.objects.order_by("pk").values_list("pk", flat=True)[:3])
    response = client.post(
        "/admin/taxonomy/category/",
        {"action": "export_as_csv", "_selected_action": picked},
    )
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    entry = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert entry.actor == routed_world.admin and entry.detail["rows"] == 3
    assert entry.detail["filters"]["ids"] == [str(pk) for pk in picked]
