"""The scan page: the entity with people masked, exactly the actions the scanner's role allows, scan counts."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.codes.models import ScanDay

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


def actions_on(client, code) -> list[str]:
    response = client.get(code.path)
    assert response.status_code == 200
    return re.findall(r'data-action="([a-z_]+)"', response.content.decode())


EXPECTED = {
    # kind: (anonymous, citizen, inspector)
    "household": (["report"], ["report"], ["report", "violation"]),
    "place": (["report"], ["report"], ["report"]),
    "merchant": (["report"], ["report"], ["report", "inspect"]),
    "stall": (["stall_check", "report"], ["stall_check", "report"], ["stall_check", "report", "violation"]),
    "ebike": (["ebike_report"], ["ebike_report"], ["ebike_report", "ebike_confirm", "violation"]),
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_kind_shows_exactly_the_allowed_actions(client, codes, world, kind):
    code = getattr(codes, kind)
    anonymous, citizen, inspector = EXPECTED[kind]
    assert actions_on(client, code) == anonymous
    client.force_login(world.citizen)
    assert actions_on(client, code) == citizen
    client.force_login(world.inspector)
    assert actions_on(client, code) == inspector


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_personal_data_is_masked(client, codes, world, kind):
    client.force_login(world.inspector)
    body = client.get(getattr(codes, kind).path).content.decode()
    for person in (codes.resident, codes.owner, codes.vendor, codes.rider):
        assert person.real_name not in body
        assert person.phone not in body
    expected = {"household": "王**", "merchant": "李**", "stall": "张**", "ebike": "赵**", "place": None}[
        kind
    ]
    if expected:
        assert expected in body


def test_scans_are_counted_per_code_and_day(client, codes):
    with time_machine.travel(datetime(2026, 5, 1, 23, 50, tzinfo=TZ), tick=False):
        client.get(codes.place.path)
        client.get(codes.place.path)
        client.get(codes.merchant.path)
    assert ScanDay.objects.get(code=codes.place, day="2026-05-01").count == 2
    assert ScanDay.objects.get(code=codes.merchant, day="2026-05-01").count == 1
    with time_machine.travel(datetime(2026, 5, 2, 0, 10, tzinfo=TZ), tick=False):
        client.get(codes.place.path)
    assert ScanDay.objects.get(code=codes.place, day="2026-05-02").count == 1
    assert ScanDay.objects.filter(code=codes.place).count() == 2


def test_refused_scans_are_not_counted(client, codes):
    client.get(codes.place.path + "x")
    assert not ScanDay.objects.exists()


def test_an_action_beyond_the_role_is_forbidden(client, codes, world):
    client.force_login(world.citizen)
    assert client.get(f"{codes.merchant.path}/a/inspect/").status_code == 403
    assert client.get(f"{codes.merchant.path}/a/nonexistent/").status_code == 404


def test_anonymous_is_sent_to_sign_in_for_a_login_action(client, codes):
    response = client.get(f"{codes.ebike.path}/a/ebike_report/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_a_new_action_needs_no_change_to_the_scan_view(client, codes, world):
    from civicgrid.codes import actions

    saved = list(actions.ACTIONS["place"])
    try:
        actions.register(
            "place",
            actions.Action(
                "checkin",
                "志愿者签到",
                actions.signed_in,
                href=lambda code: "/volunteers/checkin/" + code.token,
            ),
        )
        client.force_login(world.citizen)
        assert actions_on(client, codes.place) == ["report", "checkin"]
    finally:
        actions.ACTIONS["place"] = saved
