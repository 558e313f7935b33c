"""Fixtures of the export tests: the test city, a few cases reported through the intake, API keys."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, local


@pytest.fixture
def reported(routed_world):
    """Three cases in November 2026 and one in December: one by a citizen with a phone, one with a
    formula-like text, one by the hotline with a caller's name."""
    world = routed_world
    made = []
    specs = [
        (local(2026, 11, 2, 9), world.citizen, NORTH_1, "人行道上有一处坑洞", "13812345678", "", "app"),
        (local(2026, 11, 15, 10), world.citizen, NORTH_2, '=HYPERLINK("http://x")井盖缺失', "", "", "app"),
        (
            local(2026, 11, 30, 23, 30),
            world.dispatcher,
            NORTH_1,
            "来电：路灯不亮",
            "13700001111",
            "李四",
            "hotline",
        ),
        (local(2026, 12, 1, 0, 30), world.citizen, NORTH_2, "十二月的上报", "", "", "app"),
    ]
    for at, reporter, point, text, phone, name, channel in specs:
        with time_machine.travel(at, tick=False):
            submission = Submission(
                description=text,
                lat=point[0],
                lon=point[1],
                contact_phone=phone,
                contact_name=name,
                channel=channel,
            )
            made.append(case_submit(reporter=reporter, submission=submission).case)
    return [Case.objects.get(pk=c.pk) for c in made]


def key_client(world, *, role=Role.DISPATCHER, scopes=("exports",), department=None, phone="13900000301"):
    account = User.objects.create_user(phone=phone, role=role, department=department, real_name="数据平台")
    client = api_client_create(name="数据平台", user=account, scopes=list(scopes), kind="platform")
    _key, raw = api_key_issue(client=client)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def body(response) -> bytes:
    assert response.streaming, "an export is streamed"
    return b"".join(response.streaming_content)
