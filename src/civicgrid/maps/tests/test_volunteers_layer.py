"""The volunteers layer (志愿活动): published activities in the view with a shift not yet over — live or
upcoming — with the next shift's time and places taken; for everyone who may see the map."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from civicgrid.maps.tests.conftest import CITY_BOX, NORTH_BOX, NOW
from civicgrid.volunteers.models import Activity, ActivityStatus, ActivityType, Shift

pytestmark = pytest.mark.django_db
URL = "/api/map/layers/volunteers"


def activity(
    world, title: str, lon: float, lat: float, *, status=ActivityStatus.PUBLISHED, street=True
) -> Activity:
    return Activity.objects.create(
        title=title,
        kind=ActivityType.CLEANING,
        description=f"{title}的说明",
        created_by=world.admin,
        street=world.street if street else None,
        address=f"{title}地点",
        lat=lat,
        lon=lon,
        status=status,
        venue_secret=title,
    )


def shift(a: Activity, start_h: float, hours: float, capacity: int, taken: int) -> Shift:
    start = NOW + timedelta(hours=start_h)
    return Shift.objects.create(
        activity=a,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        capacity=capacity,
        seats_taken=taken,
    )


@pytest.fixture
def activities(world):
    with time_machine.travel(NOW, tick=False):
        live = activity(world, "正在清扫", 109.765, 39.615)
        shift(live, -1, 3, 10, 4)
        shift(live, 24, 3, 10, 0)
        upcoming = activity(world, "周末劝导", 109.775, 39.615)
        shift(upcoming, 48, 2, 5, 2)
        shift(upcoming, -72, 2, 5, 5)  # over: not the next shift
        full = activity(world, "满员探访", 109.765, 39.605, street=False)
        shift(full, 30, 2, 3, 3)
        past = activity(world, "上周清扫", 109.766, 39.616)
        shift(past, -100, 2, 5, 5)
        cancelled = activity(world, "已取消", 109.767, 39.616, status=ActivityStatus.CANCELLED)
        shift(cancelled, 10, 2, 5, 0)
        draft = activity(world, "草稿", 109.768, 39.616, status=ActivityStatus.DRAFT)
        shift(draft, 10, 2, 5, 0)
        far = activity(world, "城外", 110.5, 40.5)
        shift(far, 10, 2, 5, 0)
        yield {"live": live, "upcoming": upcoming, "full": full}


def features(client, **params) -> dict[str, dict]:
    with time_machine.travel(NOW, tick=False):
        r = client.get(URL, {"bbox": CITY_BOX, "zoom": 14, **params})
    assert r.status_code == 200, r.content
    return {f["properties"]["title"]: f for f in r.json()["features"]}


def test_live_and_upcoming_activities_with_their_next_shift(client, world, activities):
    got = features(client)  # anonymous: a public layer
    assert set(got) == {"正在清扫", "周末劝导", "满员探访"}
    live = got["正在清扫"]["properties"]
    assert (live["state"], live["taken"], live["capacity"], live["kind"]) == ("live", 4, 10, "cleaning")
    assert live["next_shift"] == (NOW - timedelta(hours=1)).isoformat()
    upcoming = got["周末劝导"]["properties"]
    assert (upcoming["state"], upcoming["taken"], upcoming["capacity"]) == ("open", 2, 5)
    assert upcoming["next_shift"] == (NOW + timedelta(hours=48)).isoformat()
    assert got["满员探访"]["properties"]["state"] == "full"
    card = upcoming["card"]
    assert card["url"] == f"/v/a/{activities['upcoming'].pk}/"
    assert ["报名/名额", "2/5"] in card["rows"]
    assert got["周末劝导"]["geometry"]["coordinates"] == [109.775, 39.615]


def test_the_view_and_the_street_narrow_it(client, world, activities):
    assert set(features(client, bbox=NORTH_BOX)) == {"正在清扫", "周末劝导"}
    assert set(features(client, street=world.street.code)) == {"正在清扫", "周末劝导"}


@pytest.mark.parametrize("persona", ["citizen", "grid_member", "inspector", "leader"])
def test_everyone_who_sees_the_map_sees_it(client, world, activities, persona):
    client.force_login(getattr(world, persona))
    assert len(features(client)) == 3


def test_a_sign_up_changes_the_etag(client, world, activities):
    with time_machine.travel(NOW, tick=False):
        first = client.get(URL, {"bbox": CITY_BOX, "zoom": 14})
        etag = first["ETag"]
        assert client.get(URL, {"bbox": CITY_BOX, "zoom": 14}, HTTP_IF_NONE_MATCH=etag).status_code == 304
        Shift.objects.filter(activity=activities["upcoming"], seats_taken=2).update(seats_taken=3)
        again = client.get(URL, {"bbox": CITY_BOX, "zoom": 14}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert {f["properties"]["title"]: f["properties"]["taken"] for f in again.json()["features"]}[
        "周末劝导"
    ] == 3
