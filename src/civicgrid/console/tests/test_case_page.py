"""The case page: what each role sees of a case and exactly which action forms."""

import re

import pytest

from civicgrid.console.tests.helpers import NORTH_1, as_user, jpeg, move, report

pytestmark = pytest.mark.django_db


def action_forms(response) -> set[str]:
    return set(
        re.findall(
            r'<form method="post" action="/console/cases/\d+/actions/([a-z_]+)/"', response.content.decode()
        )
    )


@pytest.fixture
def dispatched(city):
    case = report(
        city.citizen, NORTH_1, category=city.categories["06013"], contact_phone="13912345678", photos=[jpeg()]
    )
    move(case, "register", city.dispatcher)
    return move(case, "dispatch", city.dispatcher)


def test_dispatcher_on_a_reported_case_may_register_reject_or_merge(client, city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"])
    as_user(client, city.dispatcher)
    response = client.get(f"/console/cases/{case.number}/")
    assert response.status_code == 200
    assert action_forms(response) == {"register", "reject", "merge"}
    page = response.content.decode()
    # The category picker defaults to the case's category.
    assert '<option value="matter:06013" data-search="06013 道路破损' in page
    assert re.search(r'<option value="matter:06013"[^>]*selected', page)


def test_dispatch_form_defaults_to_the_routed_department(client, city):
    case = move(report(city.citizen, NORTH_1, category=city.categories["06013"]), "register", city.dispatcher)
    as_user(client, city.dispatcher)
    response = client.get(f"/console/cases/{case.number}/")
    assert action_forms(response) == {"dispatch", "hang"}
    page = response.content.decode()
    assert re.search(r'<option value="ZJJ-SZ" selected>住建局市政科（规则推荐）</option>', page)


def test_roads_handler_on_a_dispatched_case_may_accept_return_or_ask_for_time(client, city, dispatched):
    as_user(client, city.roads_handler)
    response = client.get(f"/console/cases/{dispatched.number}/")
    assert response.status_code == 200
    assert action_forms(response) == {"accept", "return", "request_extension"}


def test_parks_handler_gets_404_for_a_roads_case(client, city, dispatched):
    as_user(client, city.parks_handler)
    response = client.get(f"/console/cases/{dispatched.number}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "不存在，或不在您的权限范围内" in page
    assert 'href="/console/queue/to_accept/"' in page  # a way back
    assert client.post(f"/console/cases/{dispatched.number}/actions/accept/").status_code == 404


def test_leader_may_supervise_and_dispatcher_sees_no_handler_buttons(client, city, dispatched):
    as_user(client, city.leader)
    assert action_forms(client.get(f"/console/cases/{dispatched.number}/")) == {"supervise"}
    as_user(client, city.dispatcher)
    assert action_forms(client.get(f"/console/cases/{dispatched.number}/")) == {
        "hang",
        "redispatch",
        "recall",
    }


def test_page_shows_photos_map_timeline_deadlines_and_duplicates(client, city, dispatched):
    duplicate = report(city.grid_member, NORTH_1, category=city.categories["06013"], description="同一个坑")
    assert duplicate.duplicate_of_id == dispatched.pk
    as_user(client, city.dispatcher)
    page = client.get(f"/console/cases/{dispatched.number}/").content.decode()
    assert "上报照片" in page and page.count('<img src="/media/cases/thumbs/') == 1
    assert 'id="case-map"' in page and 'data-lat="39.615000"' in page and "leaflet.js" in page
    for step in ["上报", "立案", "派遣", "附议"]:
        assert f"<strong>{step}</strong>" in page, step
    assert "住建局市政科" in page
    assert "<tr><td>立案</td>" in page and "<tr><td>处置</td>" in page  # the deadlines table
    assert f'href="/console/cases/{duplicate.number}/' in page
    assert "返回" in page and 'href="/console/queue/' in page


def test_reporter_and_phone_are_masked_for_handlers(client, city, dispatched):
    as_user(client, city.roads_handler)
    page = client.get(f"/console/cases/{dispatched.number}/").content.decode()
    assert "王*" in page and "王芳" not in page
    assert "13912345678" not in page and "139****5678" in page
    assert f"/console/cases/{dispatched.number}/contact/" not in page  # no way to ask for them


def test_the_dispatcher_sees_reporter_and_phone_only_after_giving_a_reason(client, city, dispatched):
    as_user(client, city.dispatcher)
    page = client.get(f"/console/cases/{dispatched.number}/").content.decode()
    assert "王芳" not in page and "13912345678" not in page and "139****5678" in page
    assert f'action="/console/cases/{dispatched.number}/contact/' in page
    response = client.post(f"/console/cases/{dispatched.number}/contact/", {"reason": "回访群众"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "王芳" in page and "13912345678" in page
    assert "no-store" in response["Cache-Control"]


def test_notification_link_opens_the_case_with_the_matching_queue_as_way_back(client, city, dispatched):
    as_user(client, city.roads_handler)
    page = client.get(f"/console/cases/{dispatched.number}/").content.decode()
    assert '<a href="/console/queue/to_accept/">待签收</a>' in page


def test_extension_decision_shows_the_request(client, city, dispatched):
    move(dispatched, "request_extension", city.roads_handler, "需要协调燃气公司", hours=16)
    as_user(client, city.dispatcher)
    response = client.get(f"/console/cases/{dispatched.number}/?from=extensions")
    assert {"approve_extension", "refuse_extension"} <= action_forms(response)
    assert "申请延期 16小时：需要协调燃气公司" in response.content.decode()
