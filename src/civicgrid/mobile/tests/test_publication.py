"""The H5's nearby cases: a case not registered yet is offered to join, without its text; once published,
its text shows with the personal data hidden."""

from __future__ import annotations

import pytest

from civicgrid.accounts.services import user_create
from civicgrid.cases.models import CaseFollower
from civicgrid.mobile.tests.helpers import NORTH_1, move, report

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def nearby(client) -> str:
    params = {"lat": NORTH_1[0], "lon": NORTH_1[1], "category": "matter:06013"}
    return client.get("/m/report/nearby/", params, headers=HX).content.decode()


def test_nearby_shows_a_case_text_only_once_registered_and_redacted(client, routed_world, categories):
    case = report(routed_world.citizen, category=categories["06013"], description="张三 13712345678 挖的坑")
    client.force_login(user_create(phone="13911112222", real_name="赵六"))
    html = nearby(client)
    assert "张三" not in html and "13712345678" not in html
    assert "待立案，内容暂不公开" in html and f"/m/cases/{case.number}/me-too/" in html
    assert f"/reports/{case.number}/" not in html  # its public page does not exist yet

    move(case, "register", routed_world.dispatcher)
    html = nearby(client)
    assert "张三 137******** 挖的坑" in html and "13712345678" not in html
    assert f"/reports/{case.number}/" in html


def test_an_unregistered_case_can_still_be_joined(client, routed_world, categories):
    case = report(routed_world.citizen, category=categories["06013"])
    neighbour = user_create(phone="13911112222", real_name="赵六")
    client.force_login(neighbour)
    response = client.post(f"/m/cases/{case.number}/me-too/", headers=HX)
    assert response.status_code == 200 and response["HX-Trigger"] == "cg:joined"
    assert CaseFollower.objects.filter(case=case, user=neighbour).exists()


def test_a_follower_reads_the_redacted_text_on_the_h5_pages(client, routed_world, categories):
    case = report(routed_world.citizen, category=categories["06013"], description="张三 13712345678 挖的坑")
    neighbour = user_create(phone="13911112222", real_name="赵六")
    client.force_login(neighbour)
    client.post(f"/m/cases/{case.number}/me-too/", headers=HX)
    for url in (f"/m/cases/{case.number}/", "/m/cases/"):
        html = client.get(url).content.decode()
        assert "张三 137******** 挖的坑" in html and "13712345678" not in html, url
    client.force_login(routed_world.citizen)
    assert "张三 13712345678 挖的坑" in client.get(f"/m/cases/{case.number}/").content.decode()
