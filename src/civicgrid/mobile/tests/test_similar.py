"""可能重复 on the H5 report form: cases like the description being typed, any category; 我也遇到了 joins."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from civicgrid.cases.models import Case, CaseEvent, CaseFollower
from civicgrid.conftest import login_page
from civicgrid.mobile.tests.helpers import move, report

TEXT = "人行道上有一处坑洞，行人容易绊倒"
AT = {"lat": "39.6151", "lon": "109.7651"}


def similar_page(client, **params):
    return client.get("/m/report/similar/", {**AT, **params}, headers={"HX-Request": "true"})


def test_similar_cases_are_listed_without_a_category(routed_world, categories):
    registered = move(
        report(routed_world.inspector, category=categories["06013"], description=TEXT + "，已经很久了"),
        "register",
        routed_world.dispatcher,
    )
    waiting = report(routed_world.dispatcher, description="人行道有个坑洞，晚上看不清，13912345678")
    report(routed_world.dispatcher, description="小区门口垃圾桶满了没人清运")
    client = Client()
    client.force_login(routed_world.citizen)
    page = similar_page(client, description=TEXT).content.decode()
    assert "可能重复" in page and "我也遇到了" in page
    assert page.index(registered.number) < page.index(waiting.number)  # ranked: the same words first
    assert TEXT in page and "待立案，内容暂不公开" in page  # the waiting case's words stay hidden
    assert "13912345678" not in page and "垃圾桶" not in page
    # Too short a text, or no place yet: nothing to show.
    assert "可能重复" not in similar_page(client, description="坑").content.decode()
    assert "可能重复" not in client.get("/m/report/similar/", {"description": TEXT}).content.decode()
    # Outside the city: an empty answer, not an error.
    assert similar_page(client, description=TEXT, lat="39.5", lon="109.7").status_code == 200


def test_what_the_nearby_list_offers_is_not_repeated(routed_world, categories):
    same_category = move(
        report(routed_world.inspector, category=categories["06013"], description=TEXT),
        "register",
        routed_world.dispatcher,
    )
    other = move(
        report(routed_world.leader, category=categories["06010"], description=TEXT + "，请尽快处理"),
        "register",
        routed_world.dispatcher,
    )
    client = Client()
    client.force_login(routed_world.citizen)
    nearby = client.get("/m/report/nearby/", {**AT, "category": "matter:06013"}).content.decode()
    assert same_category.number in nearby
    page = similar_page(client, description=TEXT, category="matter:06013").content.decode()
    assert other.number in page and same_category.number not in page
    # Without a category there is no nearby list: the case is offered here.
    assert same_category.number in similar_page(client, description=TEXT).content.decode()


def test_the_report_form_asks_for_similar_cases_as_the_citizen_types(routed_world):
    client = Client()
    client.force_login(routed_world.citizen)
    page = client.get("/m/report/?lat=39.6151&lon=109.7651").content.decode()
    assert 'id="similar"' in page and 'hx-get="/m/report/similar/"' in page
    assert "input delay:700ms from:#id_description" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_type_a_description_see_a_possible_duplicate_and_join_it(
    new_page, routed_world, categories, tmp_path
):
    import os
    from pathlib import Path

    original = move(
        report(routed_world.inspector, category=categories["06013"], description=TEXT),
        "register",
        routed_world.dispatcher,
    )
    page = new_page(width=360, height=740, mobile=True)
    login_page(page, routed_world.citizen)
    page.goto("/m/report/?lat=39.6151&lon=109.7651")  # no category chosen
    page.locator("#id_description").press_sequentially("人行道上有个坑洞，容易绊倒", delay=30)
    similar = page.locator("#similar")
    expect(similar).to_contain_text("可能重复")
    expect(similar).to_contain_text(TEXT)
    folder = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "h5-similar.png"), full_page=True)
    similar.get_by_role("button", name="我也遇到了").click()
    expect(similar).to_contain_text("已附议")
    assert CaseFollower.objects.filter(case=original, user=routed_world.citizen).exists()
    assert CaseEvent.objects.filter(case=original, action="me_too", actor=routed_world.citizen).exists()
    assert Case.objects.count() == 1
