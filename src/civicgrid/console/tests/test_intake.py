"""Hotline calls and mailbox letters entered by the dispatcher go through case_submit."""

import pytest

from civicgrid.cases.models import Case
from civicgrid.console.tests.helpers import NORTH_1, as_user, report

pytestmark = pytest.mark.django_db


def form(**fields) -> dict:
    data = {
        "channel": "hotline",
        "kind": "complaint",
        "category": "matter:06013",
        "urgency": "",
        "description": "市民来电：人行道坑洞",
        "address": "青春山路 1 号",
        "lat": NORTH_1[0],
        "lon": NORTH_1[1],
        "contact_name": "李先生",
        "contact_phone": "13811112222",
        "is_public": "on",
        "idempotency_key": "hotline-call-0001",
    }
    data.update(fields)
    return data


def test_dispatcher_enters_a_hotline_call(client, city):
    as_user(client, city.dispatcher)
    page = client.get("/console/intake/").content.decode()
    assert 'name="idempotency_key"' in page and 'value="hotline"' in page and 'value="mailbox"' in page
    response = client.post("/console/intake/", form())
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == f"/console/cases/{case.number}/?from=new"
    assert (case.channel, case.status, case.reporter, case.contact_phone) == (
        "hotline",
        "reported",
        city.dispatcher,
        "13811112222",
    )
    assert case.cell.code == "150603001001001" and case.category.code == "06013"
    assert "已录入来件" in client.get(response["Location"]).content.decode()


def test_a_resent_form_enters_the_call_once(client, city):
    as_user(client, city.dispatcher)
    assert client.post("/console/intake/", form(channel="mailbox")).status_code == 302
    assert client.post("/console/intake/", form(channel="mailbox")).status_code == 302
    assert Case.objects.filter(channel="mailbox").count() == 1


def test_missing_or_outside_location_is_an_error_next_to_the_field(client, city):
    as_user(client, city.dispatcher)
    response = client.post("/console/intake/", form(lat="", description=""))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'aria-describedby="lat-error"' in page
    response = client.post(
        "/console/intake/", form(lat=39.50, lon=109.70, idempotency_key="hotline-call-0002")
    )
    assert response.status_code == 422
    assert 'id="lat-error"' in response.content.decode()
    response = client.post(
        "/console/intake/", form(category="matter:00000", idempotency_key="hotline-call-0003")
    )
    assert response.status_code == 422
    assert "请从列表中选择分类" in response.content.decode()
    assert not Case.objects.exists()


def test_a_call_about_a_known_problem_is_merged(client, city):
    original = report(city.citizen, NORTH_1, category=city.categories["06013"])
    as_user(client, city.dispatcher)
    response = client.post("/console/intake/", form(), follow=True)
    assert f"附近已有相同问题 {original.number}" in response.content.decode()
    original.refresh_from_db()
    assert original.me_too_count == 1


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("contact_phone", "abc<script>", "电话号码格式不正确"),
        ("description", "市民来电\x1b[2J", "控制字符"),
        ("contact_name", "李\x00先生", "字符"),  # Django's own check of form fields
    ],
)
def test_a_call_with_a_bad_phone_or_control_characters_is_shown_on_its_field(
    client, city, field, value, message
):
    as_user(client, city.dispatcher)
    response = client.post("/console/intake/", form(**{field: value}))
    assert response.status_code == 422
    assert field in response.context["form"].errors, response.context["form"].errors
    assert message in str(response.context["form"].errors[field])
    assert not Case.objects.exists()
