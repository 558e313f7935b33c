"""Offsets and page numbers a database cannot hold (≥ 2^63) or that make no sense (negative) are a
4xx with the field on every paged endpoint, and a 404 or the last page on every paged page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

HUGE = str(2**63)
VALUES = [HUGE, str(2**64 + 5), "-1", "-" + HUGE]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize(
    "url, field, persona",
    [
        ("/api/cases?offset=", "offset", "dispatcher"),
        ("/api/public/cases?offset=", "offset", None),
        ("/api/codes?offset=", "offset", "admin"),
        ("/api/notifications/?offset=", "offset", "citizen"),
        ("/api/stats/cases?start=2026-11-01&end=2026-11-30&page=", "page", "leader"),
    ],
)
def test_api_refuses_offsets_and_pages_out_of_range_on_the_field(client, world, url, field, persona, value):
    if persona:
        client.force_login(getattr(world, persona))
    r = client.get(url + value)
    assert r.status_code == 422, (url, value, r.content[:300])
    body = r.json()
    assert body["field"] == field and body["message_zh"] and body["message_en"], body


@pytest.mark.parametrize("value", ["0", "999999"])
def test_api_offsets_in_range_answer(client, world, value):
    client.force_login(world.dispatcher)
    r = client.get(f"/api/cases?offset={value}")
    assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize("value", [HUGE, str(2**64 + 5)])
@pytest.mark.parametrize(
    "url, persona",
    [("/m/cases/", "citizen"), ("/m/notifications/", "citizen"), ("/m/grid/reports/", "grid_member")],
)
def test_mobile_pages_past_the_end_are_not_found(client, world, url, persona, value):
    client.force_login(getattr(world, persona))
    assert client.get(f"{url}?page={value}").status_code == 404
    assert client.get(f"{url}?page=-5").status_code == 200  # the first page
    assert client.get(f"{url}?page=2").status_code == 200  # past the last page: an empty list


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "-1"])
@pytest.mark.parametrize(
    "url, persona",
    [
        ("/console/queue/new/", "dispatcher"),
        ("/reports/", None),
        ("/dashboard/cases/?metric=reported&", "leader"),
    ],
)
def test_paged_pages_show_the_last_or_first_page(client, world, url, persona, value):
    if persona:
        client.force_login(getattr(world, persona))
    sep = "" if url.endswith("&") else "?"
    assert client.get(f"{url}{sep}page={value}").status_code == 200


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/cases?q=%00", "q"),
        ("/api/cases/%00", "path"),
        ("/api/public/cases?category=%00", "category"),
        ("/api/taxonomy/categories?q=%1b", "q"),
        ("/reports/%00/", "path"),
        ("/m/categories/?q=%00", "q"),
        ("/console/queue/new/?q=a%00b", "q"),
    ],
)
def test_control_characters_in_a_url_are_a_400_naming_the_parameter(client, world, url, field):
    """A NUL byte in a query reaches PostgreSQL as text it refuses: a 500 before this check."""
    client.force_login(world.dispatcher)
    r = client.get(url)
    assert r.status_code == 400, r.content[:300]
    if url.startswith("/api/"):
        body = r.json()
        assert body["error"] == "text_control_character" and body["field"] == field
        assert body["message_zh"] and body["message_en"]
    else:
        assert "控制字符" in r.content.decode()
