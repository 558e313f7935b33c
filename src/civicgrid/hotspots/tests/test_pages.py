"""The hot issues on the pages (Django's client): the dashboard panel, the list, one issue, the map layer
and the big screen's figures; who may see them."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from shapely.geometry import box

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.grids.models import Street
from civicgrid.hotspots.models import HotIssue, HotIssueStatus
from civicgrid.hotspots.services import hot_issues_refresh

CITY_BBOX = "109.75,39.59,109.80,39.63"


@pytest.fixture
def hot(recent_history):
    reported = recent_history()
    hot_issues_refresh()
    return reported


@pytest.mark.django_db
def test_the_dashboard_panel_lists_the_hottest_issues_with_links_to_their_cases(client, world, hot):
    client.force_login(world.leader)
    page = client.get("/dashboard/").content.decode()
    assert 'id="hot-issues"' in page
    top = HotIssue.objects.filter(status=HotIssueStatus.ACTIVE).order_by("-heat").first()
    assert top is not None
    rows = re.findall(r'<tr data-issue="(\d+)">', page)
    assert rows and int(rows[0]) == top.pk
    assert f'href="/dashboard/hotspots/{top.pk}/"' in page
    assert top.representative_text[:10] in page
    # The issue's page lists its cases with links to the console.
    detail = client.get(f"/dashboard/hotspots/{top.pk}/")
    assert detail.status_code == 200
    html = detail.content.decode()
    numbers = re.findall(r'<tr data-number="(\d+)">', html)
    assert len(numbers) == top.case_count
    assert f'href="/console/cases/{numbers[0]}/"' in html
    # The list of the city's and each street's.
    listing = client.get("/dashboard/hotspots/").content.decode()
    assert 'data-street="150603001"' in listing and f'data-issue="{top.pk}"' in listing


@pytest.mark.django_db
def test_pages_refuse_who_may_not_see_the_city_and_other_areas(client, world, hot):
    top = HotIssue.objects.order_by("-heat").first()
    client.force_login(world.roads_handler)
    assert client.get("/dashboard/hotspots/").status_code == 403
    assert client.get(f"/dashboard/hotspots/{top.pk}/").status_code == 403
    street = Street(code="150603002", name="哈巴格希街道", district=world.district)
    street.set_shape(box(109.80, 39.60, 109.82, 39.62))
    street.save()
    leader = user_create(phone="13900000038", password="x-pass-2026", real_name="钱勇", role=Role.LEADER)
    leader.command_area = "150603002"
    leader.save(update_fields=["command_area"])
    client.force_login(leader)
    assert client.get(f"/dashboard/hotspots/{top.pk}/").status_code == 404
    assert 'data-issue="' not in client.get("/dashboard/").content.decode()
    r = client.get("/api/map/layers/hotspots", {"bbox": CITY_BBOX})
    assert r.status_code == 200 and r.json()["features"] == []


@pytest.mark.django_db
def test_the_map_layer_draws_circles_sized_by_heat(client, world, hot):
    assert client.get("/api/map/layers/hotspots", {"bbox": CITY_BBOX}).status_code == 403
    client.force_login(world.citizen)
    assert client.get("/api/map/layers/hotspots", {"bbox": CITY_BBOX}).status_code == 403
    client.force_login(world.dispatcher)
    r = client.get("/api/map/layers/hotspots", {"bbox": CITY_BBOX})
    assert r.status_code == 200, r.content
    body = r.json()
    features = body["features"]
    today = timezone.localdate()
    in_period = HotIssue.objects.filter(last_report_at__date__gte=today - timezone.timedelta(days=29)).count()
    assert len(features) == in_period > 0
    heats = [f["properties"]["heat"] for f in features]
    radii = [f["properties"]["radius"] for f in features]
    assert heats == sorted(heats, reverse=True) and radii == sorted(radii, reverse=True)
    card = features[0]["properties"]["card"]
    assert card["url"].startswith("/dashboard/hotspots/") and card["text"]
    assert {f["properties"]["status"] for f in features} <= {"active", "cooled"}
    # The catalogue offers it to staff only; an ETag answers a repeat with 304.
    layers = {row["id"]: row for row in client.get("/api/map/layers").json()["layers"]}
    assert layers["hotspots"]["available"] and layers["hotspots"]["audience"] == "staff"
    again = client.get("/api/map/layers/hotspots", {"bbox": CITY_BBOX}, HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304
    # A refresh that changes the issues changes the version.
    HotIssue.objects.filter(pk=features[0]["properties"]["id"]).update(updated_at=timezone.now())
    assert (
        client.get("/api/map/layers/hotspots", {"bbox": CITY_BBOX}, HTTP_IF_NONE_MATCH=r["ETag"]).status_code
        == 200
    )


@pytest.mark.django_db
def test_the_big_screen_gets_the_hottest_issues(client, world, hot):
    client.force_login(world.leader)
    body = client.get("/dashboard/screen.json").json()
    top = list(HotIssue.objects.filter(status=HotIssueStatus.ACTIVE).order_by("-heat")[:5])
    assert [h["id"] for h in body["hot"]] == [i.pk for i in top]
    assert body["hot"][0]["url"] == f"/dashboard/hotspots/{top[0].pk}/" and body["hot"][0]["text"]
    assert 'id="s-hot"' in client.get("/screen/").content.decode()


@pytest.mark.django_db
def test_the_pages_speak_english(client, world, hot):
    client.cookies["django_language"] = "en"
    client.force_login(world.leader)
    listing = client.get("/dashboard/hotspots/").content.decode()
    assert "Hot issues of the city" in listing and "Heat" in listing and "热度" not in listing
    top = HotIssue.objects.order_by("-heat").first()
    detail = client.get(f"/dashboard/hotspots/{top.pk}/").content.decode()
    assert f"{top.case_count} cases, {top.report_count} reports" in detail
    body = client.get("/api/map/layers/hotspots", {"bbox": CITY_BBOX}).json()
    assert body["features"][0]["properties"]["card"]["link"] == "View the cases"
