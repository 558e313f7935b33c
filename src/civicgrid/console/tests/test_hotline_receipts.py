"""A hotline case tells its caller, not the operator who typed it in: the receipt and the progress go
to the caller's number through the platform's SMS path (or to their account if they have one)."""

from __future__ import annotations

import pytest

from civicgrid.accounts.services import user_create
from civicgrid.accounts.sms import MemorySmsSender
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.console.tests.helpers import as_user
from civicgrid.console.tests.test_intake import form
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import run_once

pytestmark = pytest.mark.django_db

CALLER = "13811112222"


@pytest.fixture
def sms(settings):
    settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.sms.MemorySmsSender"
    MemorySmsSender.outbox.clear()
    yield MemorySmsSender
    MemorySmsSender.outbox.clear()


def enter_call(client, city, **fields) -> Case:
    as_user(client, city.dispatcher)
    assert client.post("/console/intake/", form(**fields)).status_code == 302
    return Case.objects.latest("id")


def test_the_receipt_goes_to_the_caller_by_sms_not_to_the_operator(client, city, sms):
    case = enter_call(client, city)
    assert not Notification.objects.filter(recipient=city.dispatcher).exists()
    [receipt] = Notification.objects.filter(phone=CALLER)
    assert (receipt.recipient, receipt.channels, receipt.case_id) == (None, ["sms"], case.pk)
    run_once()
    text = sms.last_text_to(CALLER)
    assert text and case.number in text and "已收到您的上报" in text
    assert not [to for to, _ in sms.outbox if to == city.dispatcher.phone]

    case_transition(case=case, action="register", actor=city.dispatcher)
    run_once()
    assert "您的上报已立案" in sms.last_text_to(CALLER)
    assert not Notification.objects.filter(recipient=city.dispatcher, kind="case_progress").exists()


def test_a_caller_with_an_account_is_told_in_their_inbox(client, city, sms):
    caller = user_create(phone=CALLER, real_name="李先生")
    case = enter_call(client, city)
    case_transition(case=case, action="register", actor=city.dispatcher)
    titles = list(Notification.objects.filter(recipient=caller).values_list("title", flat=True))
    assert any("已收到您的上报" in t for t in titles) and any("您的上报已立案" in t for t in titles)
    assert not Notification.objects.filter(recipient=city.dispatcher).exists()


def test_a_call_without_a_number_tells_nobody(client, city, sms):
    case = enter_call(client, city, contact_phone="", idempotency_key="hotline-call-0002")
    case_transition(case=case, action="register", actor=city.dispatcher)
    run_once()
    assert not Notification.objects.filter(recipient=city.dispatcher).exists()
    assert sms.outbox == []


def test_staff_reporters_get_no_progress_messages(city, sms):
    from civicgrid.console.tests.helpers import NORTH_1, report

    case = report(city.grid_member, NORTH_1, category=city.categories["06013"])  # registered at once
    case_transition(case=case, action="dispatch", actor=city.dispatcher, payload=MoveInput())
    assert not Notification.objects.filter(recipient=city.grid_member, read_at__isnull=True).exists()
