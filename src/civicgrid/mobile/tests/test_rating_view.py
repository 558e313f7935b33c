"""Whose rating a case page shows: "my rating" to the rater only, the outcome to those who follow the
case; an unsatisfied rating reopens the case (重办) and the earlier rating stays as history."""

from __future__ import annotations

import pytest

from civicgrid.accounts.services import user_create
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.workflow import case_me_too
from civicgrid.mobile.tests.helpers import move, report, run_to_closed
from civicgrid.notifications.models import Notification


@pytest.fixture
def followed_case(routed_world, categories):
    """A closed case of 王芳 (the citizen) that a neighbour followed with "我也遇到了" (附议)."""
    case = report(routed_world.citizen, category=categories["06013"])
    follower = user_create(phone="13911112222")
    case_me_too(case=case, user=follower)
    return run_to_closed(case, routed_world), follower


def rate(client, case, rating: str, comment: str):
    return client.post(f"/m/cases/{case.number}/rate/", {"rating": rating, "comment": comment})


def test_the_follower_sees_the_outcome_not_my_rating(client, routed_world, followed_case):
    case, follower = followed_case
    client.force_login(routed_world.citizen)
    assert rate(client, case, "basically", "我家门口修得慢").status_code == 302
    html = client.get(f"/m/cases/{case.number}/").content.decode()
    assert 'id="my-rating"' in html and "我的评价" in html and "我家门口修得慢" in html

    client.force_login(follower)
    html = client.get(f"/m/cases/{case.number}/").content.decode()
    assert "我的评价" not in html and 'id="my-rating"' not in html
    assert 'id="rating-result"' in html and "评价结果" in html and "基本满意" in html
    assert "我家门口修得慢" not in html  # the rater's own words are not the neighbour's to read


def test_the_api_gives_a_follower_the_outcome_without_the_comment(client, routed_world, followed_case):
    case, follower = followed_case
    client.force_login(routed_world.citizen)
    rate(client, case, "satisfied", "谢谢，住在三号楼")
    mine = client.get(f"/api/cases/{case.number}").json()
    assert (mine["rating"], mine["rating_comment"]) == ("satisfied", "谢谢，住在三号楼")
    assert [e["note"] for e in mine["events"] if e["action"] == "rate"] == ["谢谢，住在三号楼"]

    client.force_login(follower)
    theirs = client.get(f"/api/cases/{case.number}").json()
    assert (theirs["rating"], theirs["rating_comment"]) == ("satisfied", "")
    [event] = [e for e in theirs["events"] if e["action"] == "rate"]
    assert event["note"] == "" and event["data"]["rating"] == "satisfied"

    client.force_login(routed_world.dispatcher)  # staff read the comment to act on it
    assert client.get(f"/api/cases/{case.number}").json()["rating_comment"] == "谢谢，住在三号楼"


def test_an_unsatisfied_rating_reopens_with_a_reopen_event(client, routed_world, followed_case):
    case, follower = followed_case
    client.force_login(routed_world.citizen)
    response = rate(client, case, "unsatisfied", "坑还在")
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "已重新交办给住建局市政科" in html
    timeline = html.split('class="timeline"')[1]
    assert "<strong>评价</strong>" in timeline and "评价：不满意" in timeline
    assert "<strong>重办</strong> · 系统 → 住建局市政科" in timeline
    # The earlier rating is history: the current round is not rated yet.
    assert "上次评价（已重办）" in html and "我的评价" not in html and 'id="rate"' not in html
    case.refresh_from_db()
    assert (case.status, case.reopen_count) == (CaseStatus.DISPATCHED, 1)
    # The reporter and the follower are told where it went.
    told = Notification.objects.filter(case_id=case.pk, title__startswith="已重新交办给住建局市政科")
    assert {n.recipient_id for n in told} == {routed_world.citizen.pk, follower.pk}

    client.force_login(follower)
    html = client.get(f"/m/cases/{case.number}/").content.decode()
    assert "<strong>重办</strong>" in html and "上次评价（已重办）" in html and "坑还在" not in html

    # Closed again, the new result may be rated; the earlier rating stays in the timeline.
    client.force_login(routed_world.citizen)
    for action, actor in [
        ("accept", routed_world.roads_handler),
        ("feedback", routed_world.roads_handler),
        ("verify", routed_world.dispatcher),
        ("close", routed_world.dispatcher),
    ]:
        case = move(case, action, actor, "已重新修复")
    html = client.get(f"/m/cases/{case.number}/").content.decode()
    assert 'id="rate"' in html and "评价：不满意" in html
