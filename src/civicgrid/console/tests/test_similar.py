"""可能重复 on the console's case page: a report waiting for 立案 lists similar open cases to merge into."""

import os
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from civicgrid.cases.models import Case, CaseFollower
from civicgrid.conftest import login_page
from civicgrid.console.tests.helpers import NORTH_1, as_user, move, report

TEXT = "人行道上有一处坑洞，行人容易绊倒"


def test_a_waiting_report_lists_similar_open_cases_and_merges_into_one(city):
    original = report(city.citizen, NORTH_1, category=city.categories["06013"], description=TEXT)
    move(original, "register", city.dispatcher)
    # The same problem in other words, without a category: the intake did not merge it.
    new = report(
        city.grid_member, (NORTH_1[0] + 0.0003, NORTH_1[1]), description="人行道有个坑洞，行人容易绊倒摔跤"
    )
    new.refresh_from_db()
    assert new.status == "reported" and new.duplicate_of_id is None
    client = as_user(Client(), city.dispatcher)
    page = client.get(f"/console/cases/{new.number}/").content.decode()
    section = page.split('id="similar"')[1].split("</section>")[0]
    assert "可能重复" in page and original.number in section and "并入" in section
    response = client.post(
        f"/console/cases/{new.number}/actions/merge/",
        {"original": original.number, "note": f"可能重复：与案件 {original.number} 描述相近", "from": "all"},
    )
    assert response.status_code == 302
    new.refresh_from_db()
    original.refresh_from_db()
    assert new.status == "merged" and new.duplicate_of_id == original.pk
    assert CaseFollower.objects.filter(case=original, user=city.grid_member).exists()
    # Merged: no longer offered anything.
    assert 'id="similar"' not in client.get(f"/console/cases/{new.number}/").content.decode()


def test_only_a_waiting_report_shows_the_list_and_only_to_who_may_merge(city):
    original = report(city.citizen, NORTH_1, category=city.categories["06013"], description=TEXT)
    new = report(city.inspector, (NORTH_1[0] + 0.0003, NORTH_1[1]), description=TEXT)
    leader_page = as_user(Client(), city.leader).get(f"/console/cases/{new.number}/").content.decode()
    assert 'id="similar"' in leader_page and 'class="similar-merge"' not in leader_page  # sees, may not merge
    move(original, "register", city.dispatcher)
    registered_page = (
        as_user(Client(), city.dispatcher).get(f"/console/cases/{original.number}/").content.decode()
    )
    assert 'id="similar"' not in registered_page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_merge_from_the_list_in_the_browser(new_page, city, tmp_path):
    original = report(city.citizen, NORTH_1, category=city.categories["06013"], description=TEXT)
    move(original, "register", city.dispatcher)
    new = report(
        city.inspector, (NORTH_1[0] + 0.0003, NORTH_1[1]), description="人行道有个坑洞，行人容易绊倒摔跤"
    )
    page = new_page(width=1440, height=1000)
    login_page(page, city.dispatcher)
    page.goto(f"/console/cases/{new.number}/")
    similar = page.locator("#similar")
    expect(similar).to_contain_text(original.number)
    folder = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "console-similar.png"), full_page=True)
    similar.get_by_role("button", name=f"并入 {original.number}").click()
    expect(page.locator(".messages")).to_contain_text(f"已并入 {original.number}")
    assert Case.objects.get(pk=new.pk).duplicate_of_id == original.pk
