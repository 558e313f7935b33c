"""GET /notifications/ and POST /notifications/{id}/read, through a test-local NinjaAPI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civicgrid.accounts.clients import api_personal_key_issue
from civicgrid.core import clock
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import notify
from civicgrid.notifications.tests.client import client

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _inbox(user, n: int) -> list[Notification]:
    out = []
    for i in range(n):
        with clock.at(T0 + timedelta(minutes=i)):
            out.append(
                notify(
                    recipient=user,
                    kind="case_progress",
                    title=f"进展 {i}",
                    body="正文",
                    case_id=100 + i,
                    link=f"/cases/{100 + i}/",
                    channels=[],
                )
            )
    return out


def test_my_notifications_newest_first_with_the_unread_count(world):
    mine = _inbox(world.citizen, 3)
    _inbox(world.roads_handler, 2)  # someone else's
    notify(recipient=None, kind="case_supervised", title="督办", body="", channels=[])  # nobody's
    Notification.objects.filter(pk=mine[0].pk).update(read_at=T0)

    response = client.get("/notifications/", user=world.citizen)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["unread"] == 2
    assert [item["id"] for item in body["items"]] == [n.pk for n in reversed(mine)]
    newest = body["items"][0]
    assert newest == {
        "id": mine[2].pk,
        "kind": "case_progress",
        "title": "进展 2",
        "body": "正文",
        "case_id": 102,
        "link": "/cases/102/",
        "created_at": newest["created_at"],
        "read_at": None,
    }
    assert datetime.fromisoformat(newest["created_at"]) == T0 + timedelta(minutes=2)


def test_the_list_is_paginated(world):
    mine = _inbox(world.citizen, 7)
    page = client.get("/notifications/?limit=3&offset=3", user=world.citizen).json()
    assert page["count"] == 7
    assert [item["id"] for item in page["items"]] == [n.pk for n in reversed(mine)][3:6]
    assert client.get("/notifications/?limit=500", user=world.citizen).status_code == 422
    assert client.get("/notifications/?offset=-1", user=world.citizen).status_code == 422


@pytest.mark.parametrize("size", [1, 20])
def test_the_list_takes_two_queries_whatever_its_size(world, size, django_assert_num_queries):
    _inbox(world.citizen, size)
    with django_assert_num_queries(2):  # counts (one aggregate) + the page
        response = client.get("/notifications/", user=world.citizen)
    assert len(response.json()["items"]) == size


def test_a_bearer_token_works(world):
    _inbox(world.dispatcher, 1)
    _, raw = api_personal_key_issue(user=world.dispatcher, name="大屏")
    response = client.get("/notifications/", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and response.json()["count"] == 1


def test_anonymous_is_401(world):
    response = client.get("/notifications/")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"


def test_the_recipient_marks_a_notification_read(world):
    (n,) = _inbox(world.citizen, 1)
    with clock.at(T0 + timedelta(hours=1)):
        response = client.post(f"/notifications/{n.pk}/read", user=world.citizen)
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["read_at"]) == T0 + timedelta(hours=1)
    # Reading again keeps the first time.
    again = client.post(f"/notifications/{n.pk}/read", user=world.citizen).json()
    assert datetime.fromisoformat(again["read_at"]) == T0 + timedelta(hours=1)
    assert client.get("/notifications/", user=world.citizen).json()["unread"] == 0


def test_nobody_else_can_mark_it_read(world):
    (n,) = _inbox(world.citizen, 1)
    for other in (world.roads_handler, world.dispatcher, world.admin):
        response = client.post(f"/notifications/{n.pk}/read", user=other)
        assert response.status_code == 404
        assert response.json()["error"] == "notification_not_found"
    n.refresh_from_db()
    assert n.read_at is None


def test_an_unknown_id_is_404(world):
    assert client.post("/notifications/999999/read", user=world.citizen).status_code == 404


def test_read_all(world):
    _inbox(world.citizen, 3)
    (theirs,) = _inbox(world.roads_handler, 1)
    assert client.post("/notifications/read-all", user=world.citizen).json() == {"marked": 3}
    assert client.get("/notifications/", user=world.citizen).json()["unread"] == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
