"""The demo's district and street command centres: their accounts, their areas, what their console shows."""

from __future__ import annotations

import pytest

from civicgrid.accounts.models import User
from civicgrid.demo.scope import build_command_centres
from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_district_command_centre_and_a_street_dispatcher(client, world):
    accounts = build_command_centres(PASSWORD)
    assert [(role, phone) for role, phone, _name in accounts] == [
        ("受理员/值班长", "13830000001"),
        ("领导", "13830000002"),
        ("受理员/值班长", "13830000003"),
    ]
    assert "康巴什区指挥中心" in accounts[0][2] and "青春山街道指挥中心" in accounts[2][2]
    areas = dict(User.objects.filter(phone__startswith="1383000").values_list("phone", "command_area"))
    assert areas == {"13830000001": "150603", "13830000002": "150603", "13830000003": "150603001"}
    assert build_command_centres(PASSWORD) == accounts  # a second run keeps them
    assert User.objects.filter(phone__startswith="1383000").count() == 3
    # They sign in with the demo password and work in their area's console.
    assert client.login(username="13830000001", password=PASSWORD)
    assert client.get("/console/queue/new/").status_code == 200
