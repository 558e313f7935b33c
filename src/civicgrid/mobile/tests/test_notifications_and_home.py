"""消息 (notifications), the H5 home page and the tab bar."""

from __future__ import annotations

import pytest

from civicgrid.mobile.tests.helpers import report, run_to_closed
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import notify


@pytest.fixture
def citizen(client, routed_world):
    client.force_login(routed_world.citizen)
    return routed_world.citizen


def test_my_notifications_newest_first_with_the_unread_count(client, citizen, routed_world, categories):
    run_to_closed(report(citizen, category=categories["06013"]), routed_world)
    notify(recipient=routed_world.leader, kind="x", title="别人的消息", body="", channels=[])
    html = client.get("/m/notifications/").content.decode()
    titles = list(Notification.objects.for_user(citizen).values_list("title", flat=True))
    assert titles[0].startswith("您上报的问题已结案") and titles[0] in html
    assert html.index(titles[0]) < html.index(titles[-1])
    assert "别人的消息" not in html
    assert '<b class="count"' in html and f">{len(titles)}</b>" in html


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, citizen, categories):
    case = report(citizen, category=categories["06013"])
    n = Notification.objects.for_user(citizen).get()
    response = client.get(f"/m/notifications/{n.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/m/cases/{case.number}/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_an_offsite_link_is_not_followed(client, citizen):
    n = notify(recipient=citizen, kind="x", title="t", body="", link="https://evil.example/", channels=[])
    assert client.get(f"/m/notifications/{n.pk}/")["Location"] == "/m/notifications/"


def test_someone_elses_notification_is_not_found(client, citizen, routed_world):
    n = notify(recipient=routed_world.leader, kind="x", title="t", body="", channels=[])
    assert client.get(f"/m/notifications/{n.pk}/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_all_read(client, citizen):
    for i in range(3):
        notify(recipient=citizen, kind="x", title=f"t{i}", body="", channels=[])
    assert client.get("/m/notifications/read-all/").status_code == 405
    client.post("/m/notifications/read-all/")
    assert not Notification.objects.for_user(citizen).unread().exists()
    assert '<b class="count"' not in client.get("/m/notifications/").content.decode()


def test_the_home_page_for_visitors_offers_the_login(client, db):
    html = client.get("/m/").content.decode()
    assert '<html lang="zh-Hans">' in html and "/accounts/code/?next=/m/" in html
    assert 'class="tabbar"' in html


def test_the_home_page_shows_my_latest_cases(client, citizen, categories):
    case = report(citizen, category=categories["06013"], description="最近的问题")
    html = client.get("/m/").content.decode()
    assert case.number in html and "最近的问题" in html and 'href="/m/report/"' in html
    assert "/m/grid/" not in html  # not a grid member


def test_a_grid_member_sees_the_grid_tab_and_queue(client, routed_world):
    client.force_login(routed_world.grid_member)
    html = client.get("/m/").content.decode()
    assert 'href="/m/grid/"' in html and 'href="/m/grid/verify/"' in html


def test_english(client, citizen):
    client.cookies["django_language"] = "en"
    assert '<html lang="en">' in client.get("/m/cases/").content.decode()


@pytest.mark.parametrize("url", ["/m/cases/", "/m/notifications/", "/m/cases/2026010100001/"])
def test_pages_need_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/code/?next=")


def test_inspectors_find_their_work_on_the_home_page(client, routed_world):
    client.force_login(routed_world.inspector)
    html = client.get("/m/").content.decode()
    assert 'id="tile-inspect" href="/m/points/inspect/"' in html
    assert 'id="tile-appeals" href="/m/points/inspect/appeals/"' in html
    client.force_login(routed_world.citizen)
    assert 'id="tile-inspect"' not in client.get("/m/").content.decode()
