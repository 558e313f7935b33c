"""Nearby open cases of the same category on the report page, and joining one ("me too", 附议)."""

from __future__ import annotations

import re

import pytest

from civicgrid.accounts.services import user_create
from civicgrid.cases.models import Case, CaseFollower
from civicgrid.mobile.tests.helpers import NORTH_1, NORTH_2, move, report, run_to_closed, run_to_handled

HX = {"HX-Request": "true"}


@pytest.fixture
def neighbour(routed_world):
    return user_create(phone="13911112222", real_name="赵六")


def nearby(client, category: str = "matter:06013", point=NORTH_1) -> str:
    return client.get(
        "/m/report/nearby/", {"lat": point[0], "lon": point[1], "category": category}, headers=HX
    ).content.decode()


def test_nearby_open_cases_of_the_same_category_are_offered(client, routed_world, categories, neighbour):
    original = report(routed_world.citizen, category=categories["06013"], description="路面塌陷一个大坑")
    move(original, "register", routed_world.dispatcher)  # its text is public once registered
    report(routed_world.citizen, category=categories["06010"], description="垃圾没人清")  # another category
    report(routed_world.citizen, category=categories["06013"], point=NORTH_2, description="很远的坑")  # 860 m
    client.force_login(neighbour)
    html = nearby(client)
    assert "路面塌陷一个大坑" in html and f"/m/cases/{original.number}/me-too/" in html
    assert "垃圾没人清" not in html and "很远的坑" not in html
    assert "0 米" in html


def test_nothing_is_offered_without_a_place_or_category(client, routed_world, categories, neighbour):
    report(routed_world.citizen, category=categories["06013"])
    client.force_login(neighbour)
    assert client.get("/m/report/nearby/", headers=HX).content.decode().strip() == ""
    assert nearby(client, category="").strip() == ""
    assert nearby(client, point=(39.5, 109.7)).strip() == ""  # outside the city: no error, no list


def test_closed_and_private_cases_are_not_offered(client, routed_world, categories, neighbour):
    closed = report(routed_world.citizen, category=categories["06013"], description="早已修好的坑")
    run_to_closed(closed, routed_world)
    private = report(routed_world.citizen, category=categories["06013"], description="私密的坑")
    Case.objects.filter(pk=private.pk).update(is_public=False)
    client.force_login(neighbour)
    html = nearby(client)
    assert "早已修好的坑" not in html and "私密的坑" not in html


def test_me_too_joins_the_case(client, routed_world, categories, neighbour):
    original = report(routed_world.citizen, category=categories["06013"])
    client.force_login(neighbour)
    response = client.post(f"/m/cases/{original.number}/me-too/", headers=HX)
    assert response.status_code == 200 and response["HX-Trigger"] == "cg:joined"
    assert "已附议" in response.content.decode()
    original.refresh_from_db()
    assert original.me_too_count == 1
    assert CaseFollower.objects.filter(case=original, user=neighbour).exists()
    assert Case.objects.count() == 1  # joined, not reported again
    # It is now among my cases, and the list offers it as mine.
    assert original.number in client.get("/m/cases/").content.decode()
    assert "您已关注此案件" in nearby(client)
    # A second "me too" counts nothing.
    client.post(f"/m/cases/{original.number}/me-too/", headers=HX)
    original.refresh_from_db()
    assert original.me_too_count == 1


def test_me_too_without_javascript_goes_to_the_case(client, routed_world, categories, neighbour):
    original = report(routed_world.citizen, category=categories["06013"])
    client.force_login(neighbour)
    response = client.post(f"/m/cases/{original.number}/me-too/")
    assert response.status_code == 302 and response["Location"] == f"/m/cases/{original.number}/"


def test_me_too_on_a_closed_case_says_why(client, routed_world, categories, neighbour):
    case = run_to_closed(report(routed_world.citizen, category=categories["06013"]), routed_world)
    client.force_login(neighbour)
    response = client.post(f"/m/cases/{case.number}/me-too/", headers=HX)
    assert "已办结，不能附议" in response.content.decode()


def test_me_too_needs_a_post_and_a_public_case(client, routed_world, categories, neighbour):
    case = report(routed_world.citizen, category=categories["06013"])
    client.force_login(neighbour)
    assert client.get(f"/m/cases/{case.number}/me-too/").status_code == 405
    Case.objects.filter(pk=case.pk).update(is_public=False)
    assert client.post(f"/m/cases/{case.number}/me-too/").status_code == 404


def fetch_status(client, url: str) -> int:
    response = client.get(url)
    # Read the streamed file to its end, as a browser would: the test client then closes it.
    b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code


def test_nearby_cards_show_a_photo_the_viewer_may_fetch(client, routed_world, categories, neighbour):
    handled = report(routed_world.citizen, category=categories["06013"], description="井边大坑", photos=1)
    handled = run_to_handled(handled, routed_world, feedback_photos=1)  # its result photo is public
    fresh = report(
        routed_world.citizen,
        category=categories["06013"],
        description="北边又一个坑",
        photos=1,
        point=(NORTH_1[0] + 0.0007, NORTH_1[1]),  # about 78 m north: near, but not merged
    )
    move(fresh, "register", routed_world.dispatcher)
    client.force_login(neighbour)
    html = nearby(client)
    assert "北边又一个坑" in html and "井边大坑" in html
    thumbs = re.findall(r'<img class="nearby-thumb" src="([^"]+)"', html)
    result_photo = handled.photos.get(stage="feedback").thumbnail.url
    assert thumbs == [result_photo]  # report photos are not the public's; a result photo is
    assert fetch_status(client, thumbs[0]) == 200  # the access-checked media view agrees
    report_photo = fresh.photos.get().thumbnail.url
    assert fetch_status(client, report_photo) == 404

    client.force_login(routed_world.grid_member)  # the cell's grid member may open both cases
    thumbs = re.findall(r'<img class="nearby-thumb" src="([^"]+)"', nearby(client))
    assert report_photo in thumbs and len(thumbs) == 2
    assert all(fetch_status(client, url) == 200 for url in thumbs)
