"""我的上报: the list, one case with its timeline and result photos, and the rating once closed."""

from __future__ import annotations

import re

import pytest

from civicgrid.accounts.services import user_create
from civicgrid.cases.choices import CaseStatus
from civicgrid.mobile.tests.helpers import report, run_to_closed, run_to_handled


@pytest.fixture
def citizen(client, routed_world):
    client.force_login(routed_world.citizen)
    return routed_world.citizen


def test_my_cases_lists_mine_with_status(client, citizen, routed_world, categories):
    mine = report(citizen, category=categories["06013"], description="我报的坑", photos=1)
    other = report(routed_world.inspector, category=categories["06010"], description="别人报的垃圾")
    html = client.get("/m/cases/").content.decode()
    assert mine.number in html and "我报的坑" in html and "待立案" in html
    assert 'class="badge blue"' in html
    assert other.number not in html
    assert "/media/cases/thumbs/" in html  # the first report photo as thumbnail


def test_an_empty_list_invites_to_report(client, citizen, db):
    html = client.get("/m/cases/").content.decode()
    assert "您还没有上报过问题" in html and 'href="/m/report/"' in html


def test_the_list_is_paged_with_htmx(client, citizen, routed_world, categories, settings):
    from civicgrid.mobile import selectors

    for i in range(selectors.PAGE_SIZE + 3):
        report(citizen, description=f"问题 {i}")
    first = client.get("/m/cases/").content.decode()
    assert first.count('class="item-thumb"') == selectors.PAGE_SIZE and "?page=2" in first
    second = client.get("/m/cases/?page=2", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in second and second.count('class="item-thumb"') == 3 and "?page=3" not in second


@pytest.mark.parametrize("n", [3, 20])
def test_my_cases_takes_a_fixed_number_of_queries(
    client, citizen, routed_world, categories, n, django_assert_max_num_queries
):
    for i in range(n):
        case = report(
            citizen,
            category=categories["06013" if i % 2 else "06010"],
            description=f"问题 {i}",
            photos=1 if i % 3 == 0 else 0,
            point=(39.6101 + i * 0.0004, 109.7601 + i * 0.0004),
        )
    with django_assert_max_num_queries(5):  # session, user, unread count, cases, their photos
        response = client.get("/m/cases/")
    assert response.status_code == 200 and case.number in response.content.decode()


def test_a_case_shows_its_timeline_and_result_photos(client, citizen, routed_world, categories):
    case = run_to_handled(
        report(citizen, category=categories["06013"], photos=1), routed_world, feedback_photos=2
    )
    html = client.get(f"/m/cases/{case.number}/").content.decode()
    timeline = html.split('class="timeline"')[1]
    for label in ["上报", "立案", "派遣", "签收", "处置反馈"]:
        assert f"<strong>{label}</strong>" in timeline
    assert "住建局市政科" in timeline and "已修复路面" in timeline
    assert "<strong>上报</strong> · 我" in timeline
    assert "处置结果照片" in html and html.count("/media/cases/photos/") >= 3
    assert 'id="rate"' not in html  # not closed yet: no rating form
    assert "张伟" not in html  # staff are shown by department, not by name


def test_the_rating_form_appears_once_closed_and_rating_works(client, citizen, routed_world, categories):
    case = run_to_closed(report(citizen, category=categories["06013"]), routed_world)
    html = client.get(f"/m/cases/{case.number}/").content.decode()
    assert 'id="rate"' in html and 'value="satisfied"' in html and 'value="unsatisfied"' in html
    response = client.post(f"/m/cases/{case.number}/rate/", {"rating": "satisfied", "comment": "修得很快"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.rating == "satisfied" and case.rating_comment == "修得很快" and case.rated_at
    html = client.get(f"/m/cases/{case.number}/").content.decode()
    assert 'id="rate"' not in html and 'id="my-rating"' in html and "修得很快" in html
    assert "感谢您的评价" in html
    assert "<strong>评价</strong>" in html


def test_a_rating_without_a_choice_is_refused_next_to_the_field(client, citizen, routed_world, categories):
    case = run_to_closed(report(citizen, category=categories["06013"]), routed_world)
    response = client.post(f"/m/cases/{case.number}/rate/", {"comment": "?"})
    assert response.status_code == 422
    assert re.search(r'id="error-rating"[^>]*>请选择满意', response.content.decode())


def test_rating_an_open_case_is_refused(client, citizen, routed_world, categories):
    case = report(citizen, category=categories["06013"])
    response = client.post(f"/m/cases/{case.number}/rate/", {"rating": "satisfied"})
    assert response.status_code == 422
    assert "不能评价" in response.content.decode()
    case.refresh_from_db()
    assert case.rating == ""


def test_unsatisfied_sends_the_case_back(client, citizen, routed_world, categories):
    case = run_to_closed(report(citizen, category=categories["06013"]), routed_world)
    client.post(f"/m/cases/{case.number}/rate/", {"rating": "unsatisfied", "comment": "坑还在"})
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED and case.reopen_count == 1


def test_only_the_reporter_may_rate(client, routed_world, categories):
    from civicgrid.cases.workflow import case_me_too

    case = report(routed_world.citizen, category=categories["06013"])
    follower = user_create(phone="13911112222")
    case_me_too(case=case, user=follower)
    case = run_to_closed(case, routed_world)
    client.force_login(follower)  # follows the case: sees it, but the result is the reporter's to rate
    html = client.get(f"/m/cases/{case.number}/").content.decode()
    assert "已结案" in html and 'id="rate"' not in html
    client.force_login(routed_world.grid_member)  # sees it (his cell), is not the reporter either
    assert 'id="rate"' not in client.get(f"/m/cases/{case.number}/").content.decode()
    assert client.post(f"/m/cases/{case.number}/rate/", {"rating": "satisfied"}).status_code == 422
    case.refresh_from_db()
    assert case.rating == ""


def test_someone_elses_case_is_not_found(client, citizen, routed_world, categories):
    other = report(routed_world.inspector, category=categories["06013"])
    assert client.get(f"/m/cases/{other.number}/").status_code == 404
    assert client.post(f"/m/cases/{other.number}/rate/", {"rating": "satisfied"}).status_code == 404


def test_a_merged_report_points_to_the_original(client, citizen, routed_world, categories):
    original = report(routed_world.inspector, category=categories["06013"])
    duplicate = report(citizen, category=categories["06013"])
    assert duplicate.duplicate_of_id == original.pk
    html = client.get(f"/m/cases/{duplicate.number}/").content.decode()
    assert f"已并入案件 {original.number}" in html and f'href="/m/cases/{original.number}/"' in html
    assert client.get(f"/m/cases/{original.number}/").status_code == 200  # followed: visible
