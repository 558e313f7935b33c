"""The admin list is read-only and its filters and search work."""

from __future__ import annotations

import pytest

from civicgrid.notifications.services import notify


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?delivery=pending",
        "?delivery=sent",
        "?delivery=failed",
        "?kind=case_dispatched",
        "?q=A-0042",
        "?q=42",
        "?q=139",
    ],
)
def test_the_changelist_loads(client, world, query):
    notify(
        recipient=world.roads_handler, kind="case_dispatched", title="案件 A-0042 已派遣", body="", case_id=42
    )
    client.force_login(world.admin)
    response = client.get("/admin/notifications/notification/" + query)
    assert response.status_code == 200
    assert b"A-0042" in response.content or query in ("?delivery=sent", "?delivery=failed")


def test_no_adding_or_editing(client, world):
    n = notify(recipient=world.roads_handler, kind="case_dispatched", title="派遣", body="")
    client.force_login(world.admin)
    assert client.get("/admin/notifications/notification/add/").status_code == 403
    page = client.get(f"/admin/notifications/notification/{n.pk}/change/")
    assert page.status_code == 200  # view only
    assert b'name="_save"' not in page.content
