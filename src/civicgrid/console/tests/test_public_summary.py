"""公开摘要 on the console's case page: the dispatcher sees what the public read and may replace it."""

import pytest

from civicgrid.cases.models import CaseSummaryEdit
from civicgrid.console.tests.helpers import NORTH_1, as_user, move, report

pytestmark = pytest.mark.django_db

TEXT = "邻居张三 13712345678 乱扔垃圾"


@pytest.fixture
def registered(city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"], description=TEXT)
    return move(case, "register", city.dispatcher)


def test_the_dispatcher_sees_the_public_text_and_replaces_it(client, city, registered):
    as_user(client, city.dispatcher)
    page = client.get(f"/console/cases/{registered.number}/").content.decode()
    assert "邻居张三 137******** 乱扔垃圾" in page  # what the public read
    assert 'name="public_summary"' in page

    url = f"/console/cases/{registered.number}/public-summary/"
    response = client.post(url, {"public_summary": "某小区门口有人乱扔垃圾"}, follow=True)
    assert response.status_code == 200 and "公开摘要已保存" in response.content.decode()
    assert '<p id="public-text">某小区门口有人乱扔垃圾</p>' in response.content.decode()
    edit = CaseSummaryEdit.objects.get()
    assert (edit.actor, edit.summary) == (city.dispatcher, "某小区门口有人乱扔垃圾")
    client.logout()
    public = client.get(f"/reports/{registered.number}/").content.decode()
    assert "某小区门口有人乱扔垃圾" in public and "张三" not in public


def test_a_too_long_summary_is_refused_on_the_page(client, city, registered):
    as_user(client, city.dispatcher)
    response = client.post(
        f"/console/cases/{registered.number}/public-summary/", {"public_summary": "长" * 2001}
    )
    assert response.status_code == 422
    assert 'id="error-public-summary"' in response.content.decode()
    assert not CaseSummaryEdit.objects.exists()


def test_a_handler_may_not_edit_it(client, city, registered):
    move(registered, "dispatch", city.dispatcher)
    as_user(client, city.roads_handler)
    page = client.get(f"/console/cases/{registered.number}/").content.decode()
    assert 'name="public_summary"' not in page
    response = client.post(f"/console/cases/{registered.number}/public-summary/", {"public_summary": "x"})
    assert response.status_code == 403
    assert not CaseSummaryEdit.objects.exists()


def test_an_unregistered_case_is_shown_as_not_public(client, city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"], description=TEXT)
    as_user(client, city.dispatcher)
    page = client.get(f"/console/cases/{case.number}/").content.decode()
    assert "本案件目前不向公众公开" in page
