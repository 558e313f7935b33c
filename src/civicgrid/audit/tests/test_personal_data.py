"""Views of unmasked personal data in the access audit: who, whose, when, why — the reason required."""

from __future__ import annotations

import pytest

from civicgrid.audit.models import AccessEvent, AccessKind
from civicgrid.cases.tests.helpers import NORTH_1, as_user, move, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(routed_world, categories):
    case = submit(
        routed_world.citizen,
        NORTH_1,
        category=categories["06013"],
        contact_name="王芳",
        contact_phone="13912345678",
    )
    move(case, "register", routed_world.dispatcher)
    return move(case, "dispatch", routed_world.dispatcher)


def contact_url(case) -> str:
    return f"/console/cases/{case.number}/contact/"


def test_showing_the_contact_is_recorded_with_who_whose_when_and_why(client, routed_world, case):
    w = routed_world
    as_user(client, w.dispatcher)
    assert not AccessEvent.objects.filter(kind=AccessKind.PERSONAL_DATA).exists()
    response = client.post(contact_url(case), {"reason": "回访群众，核实处置结果"})
    assert response.status_code == 200
    assert "13912345678" in response.content.decode()
    entry = AccessEvent.objects.get(kind=AccessKind.PERSONAL_DATA)
    assert (entry.actor, entry.subject, entry.target) == (w.dispatcher, w.citizen, f"case:{case.number}")
    assert entry.reason == "回访群众，核实处置结果" and entry.at is not None and entry.ip == "127.0.0.1"
    assert "contact_phone" in entry.detail["fields"]
    # Each view is one record: showing it again records again.
    client.post(contact_url(case), {"reason": "再次回访"})
    assert AccessEvent.objects.filter(kind=AccessKind.PERSONAL_DATA).count() == 2


@pytest.mark.parametrize("reason", ["", "  ", "a"])
def test_without_a_reason_nothing_is_shown_and_nothing_recorded(client, routed_world, case, reason):
    as_user(client, routed_world.dispatcher)
    response = client.post(contact_url(case), {"reason": reason})
    assert response.status_code == 422
    page = response.content.decode()
    assert "13912345678" not in page and "王芳" not in page
    assert "请填写查看联系方式的事由" in page
    assert not AccessEvent.objects.filter(kind=AccessKind.PERSONAL_DATA).exists()


def test_who_may_not_see_personal_data_cannot_ask_for_it(client, routed_world, case):
    # The handler of the case may open it, but not see its reporter: 404 as for a case not theirs.
    for user in (routed_world.roads_handler, routed_world.parks_handler, routed_world.leader):
        response = as_user(client, user).post(contact_url(case), {"reason": "想看看"})
        assert response.status_code == 404, user.real_name
        assert "13912345678" not in response.content.decode()
    assert not AccessEvent.objects.filter(kind=AccessKind.PERSONAL_DATA).exists()


def test_the_reporter_sees_their_own_data_without_a_reason(client, routed_world, case):
    # (the console is for staff: a grid member's own report)
    w = routed_world
    own = submit(w.grid_member, NORTH_1, category=case.category, contact_phone="13700001111")
    page = as_user(client, w.grid_member).get(f"/console/cases/{own.number}/").content.decode()
    assert "13700001111" in page and "/contact/" not in page


def test_an_app_report_without_a_contact_number_shows_the_reporters_own(client, routed_world, categories):
    # A citizen's app report has no separate contact number: the one to call back is their account's.
    w = routed_world
    case = submit(w.citizen, NORTH_1, category=categories["06013"])
    assert case.contact_phone == ""
    as_user(client, w.dispatcher)
    masked = client.get(f"/console/cases/{case.number}/").content.decode()
    assert w.citizen.phone not in masked and "（已隐藏）" in masked
    shown = client.post(contact_url(case), {"reason": "回访群众"}).content.decode()
    assert w.citizen.phone in shown
