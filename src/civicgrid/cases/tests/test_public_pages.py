"""The public report pages show what was wrong and what was done, never who reported it."""

import pytest

from civicgrid.cases.choices import Action
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.workflow import MoveInput, case_transition


@pytest.fixture
def public_case(routed_world, categories):
    w = routed_world
    case = case_submit(
        reporter=w.citizen,
        submission=Submission(
            description="人行道地砖破损",
            lat=39.615,
            lon=109.765,
            category=categories["06013"],
            contact_name="王芳",
            contact_phone="13900000001",
        ),
    ).case
    case_transition(case=case, action=Action.REGISTER, actor=w.dispatcher)
    case_transition(case=case, action=Action.DISPATCH, actor=w.dispatcher, payload=MoveInput())
    return case


def test_detail_page_shows_progress_without_reporter(client, public_case):
    response = client.get(f"/reports/{public_case.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "人行道地砖破损" in html and "派遣" in html and "住建局市政科" in html
    assert "王芳" not in html and "13900000001" not in html and "张伟" not in html
    assert '<html lang="zh-Hans">' in html


def test_private_and_rejected_cases_are_not_public(client, routed_world, categories):
    w = routed_world
    private = case_submit(
        reporter=w.citizen,
        submission=Submission(
            description="家门口的问题", lat=39.615, lon=109.775, category=categories["06010"], is_public=False
        ),
    ).case
    rejected = case_submit(
        reporter=w.citizen,
        submission=Submission(
            description="不属于城管", lat=39.605, lon=109.765, category=categories["09006"]
        ),
    ).case
    case_transition(case=rejected, action=Action.REJECT, actor=w.dispatcher, note="不属于受理范围")
    assert client.get(f"/reports/{private.number}/").status_code == 404
    assert client.get(f"/reports/{rejected.number}/").status_code == 404
    listing = client.get("/reports/").content.decode()
    assert private.number not in listing and rejected.number not in listing


def test_list_page_filters_by_status_with_htmx_partial(client, public_case):
    full = client.get("/reports/")
    assert public_case.number in full.content.decode() and "public-map" in full.content.decode()
    partial = client.get("/reports/?status=closed", HTTP_HX_REQUEST="true")
    assert "public-map" not in partial.content.decode()
    assert public_case.number not in partial.content.decode()
    assert (
        public_case.number
        in client.get("/reports/?status=dispatched", HTTP_HX_REQUEST="true").content.decode()
    )


def test_bad_bbox_is_a_clear_error_not_a_crash(client, public_case):
    response = client.get("/reports/?bbox=1,2,3")
    assert response.status_code == 200
    assert "bbox" in response.content.decode()
