"""The case page's 时限 panel shows a pending extension request; a handler calls the reporter back
through the relay (number + the case's extension code), the centre by an audited reveal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civicgrid.audit.models import AccessEvent
from civicgrid.console.tests.helpers import NORTH_1, as_user, move, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatched(city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"], contact_phone="13812345678")
    move(case, "register", city.dispatcher)
    return move(case, "dispatch", city.dispatcher)


def panel(page: str) -> str:
    start = page.index('id="h-deadlines"')
    return page[start : page.index("</section>", start)]


def test_a_pending_extension_shows_in_the_deadline_panel(client, city, dispatched):
    move(dispatched, "request_extension", city.roads_handler, "需要协调燃气公司", hours=Decimal("1.5"))
    for user in (city.roads_handler, city.dispatcher, city.leader):
        page = as_user(client, user).get(f"/console/cases/{dispatched.number}/").content.decode()
        shown = panel(page)
        assert 'id="pending-extension"' in shown, user
        assert "刘洋 于" in shown and "申请延期 1小时30分" in shown and "需要协调燃气公司" in shown
    move(dispatched, "approve_extension", city.dispatcher)
    page = as_user(client, city.roads_handler).get(f"/console/cases/{dispatched.number}/").content.decode()
    assert 'id="pending-extension"' not in page


def test_a_handler_calls_back_through_the_relay(client, city, dispatched, settings):
    settings.CIVICGRID_CALLBACK_RELAY = "0477-12345"
    page = as_user(client, city.roads_handler).get(f"/console/cases/{dispatched.number}/").content.decode()
    assert 'id="callback-relay"' in page
    assert "0477-12345" in page and f"{dispatched.pk:06d}" in page
    assert "13812345678" not in page
    # Another department's handler does not see the case at all; the centre reveals the number instead.
    page = as_user(client, city.dispatcher).get(f"/console/cases/{dispatched.number}/").content.decode()
    assert 'id="callback-relay"' not in page and "13812345678" not in page
    r = client.post(f"/console/cases/{dispatched.number}/contact/", {"reason": "回访群众"})
    assert r.status_code == 200 and "13812345678" in r.content.decode()
    assert AccessEvent.objects.filter(actor=city.dispatcher, reason="回访群众").exists()


def test_no_relay_without_the_setting(client, city, dispatched, settings):
    settings.CIVICGRID_CALLBACK_RELAY = ""
    page = as_user(client, city.roads_handler).get(f"/console/cases/{dispatched.number}/").content.decode()
    assert 'id="callback-relay"' not in page
