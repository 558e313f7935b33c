"""Who did what, as staff read it: each person with their own unit, staff by name (citizens masked),
colleagues picked by name and phone; durations in hours and minutes."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from civicgrid.accounts.models import User
from civicgrid.console.tests.helpers import NORTH_1, as_user, move, report
from civicgrid.core.durations import hours_minutes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("2.25"), "2小时15分"),
        (8100 / 3600, "2小时15分"),
        (timedelta(seconds=8100), "2小时15分"),
        ("0.5", "30分"),
        (Decimal("16"), "16小时"),
        (Decimal("0"), "0分"),
        (None, ""),
        ("abc", ""),
    ],
)
def test_hours_read_as_hours_and_minutes(value, text):
    with translation.override("zh-hans"):  # whatever language an earlier test left active
        assert hours_minutes(value) == text
    if text:
        with translation.override("en"):
            assert "小时" not in hours_minutes(value) and "分" not in hours_minutes(value)


def timeline_meta(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<div class="ev-meta muted">(.*?)</div>', page, re.S)
    ]


@pytest.fixture
def dispatched(city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"])
    move(case, "register", city.dispatcher)
    return move(case, "dispatch", city.dispatcher)


def test_the_timeline_tags_each_person_with_their_own_unit(client, city, dispatched):
    # The bureau's admin (住房和城乡建设局) accepts its section's case (住建局市政科).
    move(dispatched, "accept", city.department_admin)
    move(dispatched, "request_extension", city.department_admin, "材料未到", hours=Decimal("2.25"))
    page = as_user(client, city.dispatcher).get(f"/console/cases/{dispatched.number}/").content.decode()
    meta = timeline_meta(page)
    dispatch, accept, extension = meta[2], meta[3], meta[4]
    assert "张伟（城市服务指挥中心）" in dispatch and "派往 住建局市政科" in dispatch
    assert "孙丽（住房和城乡建设局）" in accept and "住建局市政科" not in accept
    assert "时长 2小时15分" in extension
    # The 时限 panel and the pending request read in hours and minutes too.
    assert "申请延期 2小时15分：材料未到" in page
    # (the timestamps' machine-readable datetime="…" attributes may hold any digits)
    assert "2.25" not in re.sub(r'datetime="[^"]*"', "", page)


def test_staff_read_staff_by_name_and_citizens_masked(client, city):
    by_leader = report(city.leader, NORTH_1, description="路灯不亮")
    by_citizen = report(city.citizen, (39.6005, 109.7605), description="井盖缺失")
    as_user(client, city.dispatcher)
    page = client.get(f"/console/cases/{by_leader.number}/").content.decode()
    assert "赵敏" in timeline_meta(page)[0]
    page = client.get(f"/console/cases/{by_citizen.number}/").content.decode()
    assert "王*" in timeline_meta(page)[0] and "王芳" not in page
    # The signed-in staff member reads their own name in the header; a citizen a masked one.
    assert '<span class="who">张伟</span>' in page
    as_user(client, city.citizen)
    assert '<span class="who">王*</span>' in client.get("/m/").content.decode()


def test_pickers_show_staff_by_name_and_phone_and_citizens_masked(client, city):
    assert str(city.roads_handler) == "刘洋 13900000004"
    assert str(city.citizen) == "王*"
    admin = User.objects.create_superuser("13900000099", "x-Secret-1234", real_name="超管")
    client.force_login(admin)
    r = client.get(
        "/admin/autocomplete/",
        {"app_label": "grids", "model_name": "cellmember", "field_name": "user", "term": "139000000"},
    )
    assert r.status_code == 200, r.content
    texts = {row["text"] for row in r.json()["results"]}
    assert "刘洋 13900000004" in texts and "李强 13900000002" in texts
    assert "王*" in texts and not any("王芳" in t or "13900000001" in t for t in texts)
