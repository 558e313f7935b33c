"""Erasure of personal data (个人信息删除): `civicgrid erase_personal_data` masks it, the history stays whole."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, models, transaction

from civicgrid.accounts.models import PersonalDataErasure, User
from civicgrid.accounts.services import erased_phone
from civicgrid.cases.choices import Action, Channel, Rating
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.helpers import move, run_to, submit
from civicgrid.core.masking import ERASED
from civicgrid.core.models import ImmutablePermit
from civicgrid.points.choices import Reason
from civicgrid.points.models import PointsEntry
from civicgrid.points.selectors import balance_of
from civicgrid.points.services import points_award
from civicgrid.testing import PASSWORD, assert_append_only

pytestmark = pytest.mark.django_db

PHONE = "13900000001"  # 王芳, the citizen of the test city
ADMIN = "13900000009"


@pytest.fixture
def history(routed_world, categories):
    """王芳's closed and rated report, a hotline call in her name, and points with a note about her."""
    w = routed_world
    case = submit(w.citizen, category=categories["06013"], contact_name="王芳", contact_phone=PHONE)
    case = run_to(case, "closed", w)
    move(case, Action.RATE, w.citizen, "王芳：修得很好", rating=Rating.SATISFIED)
    submit(
        w.dispatcher,
        category=categories["06013"],
        channel=Channel.HOTLINE,
        contact_name="王女士",
        contact_phone=PHONE,
        description="来电反映路灯不亮",
    )
    points_award(
        person=w.citizen, reason=Reason.VOLUNTEER, source_key="v:1", quantity=2, note="王芳 社区志愿服务"
    )
    return w


def erase(*args: str) -> str:
    out = StringIO()
    call_command("erase_personal_data", *args, stdout=out)
    return out.getvalue()


def holding(text: str) -> set[str]:
    """The text columns of the whole database that hold `text` somewhere."""
    found = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, models.CharField | models.TextField)
                and model.objects.filter(**{f"{field.name}__contains": text}).exists()
            ):
                found.add(f"{model.__name__}.{field.name}")
    return found


def facts_of_events() -> list[tuple]:
    return list(
        CaseEvent.objects.order_by("id").values_list(
            "id",
            "case_id",
            "action",
            "from_status",
            "to_status",
            "actor_id",
            "department_id",
            "created_at",
            "data",
        )
    )


def test_the_command_masks_the_persons_data_and_keeps_every_fact(history):
    w = history
    events, entries, balance = facts_of_events(), PointsEntry.objects.count(), balance_of(w.citizen)
    notes = CaseEvent.objects.filter(actor=w.citizen).exclude(note="").count()
    entry_notes = PointsEntry.objects.filter(person=w.citizen).exclude(note="").count()
    assert notes and entry_notes >= 2  # the rating's note; the volunteer hours' and the report award's
    assert {"User.phone", "Case.contact_phone", "User.real_name", "CaseEvent.note"} <= holding(
        PHONE
    ) | holding("王芳")

    out = erase(PHONE, "--by", ADMIN, "--reason", "本人申请（2026 年第 7 号）")

    person = User.objects.get(pk=w.citizen.pk)
    assert (person.phone, person.real_name, person.is_active) == (erased_phone(person), "", False)
    assert not person.has_usable_password() and person.phone in out
    for case in Case.objects.all():  # her report and the hotline call in her name
        assert (case.contact_name, case.contact_phone) == ("", "")
    rated = Case.objects.get(reporter=person)
    assert (rated.rating, rated.rating_comment, rated.description) == (
        Rating.SATISFIED,
        ERASED,
        "人行道上有一处坑洞",
    )
    assert set(CaseEvent.objects.filter(actor=person).exclude(note="").values_list("note", flat=True)) == {
        ERASED
    }
    assert facts_of_events() == events  # who, when, what, from → to: all kept
    assert PointsEntry.objects.count() == entries and balance_of(person) == balance
    assert set(PointsEntry.objects.filter(person=person).exclude(note="").values_list("note", flat=True)) == {
        ERASED
    }
    assert not ImmutablePermit.objects.exists()
    assert holding(PHONE) == holding("王芳") == set()  # nowhere in the database any more

    erasure = PersonalDataErasure.objects.get()
    assert (erasure.person_id, erasure.actor_id, erasure.reason) == (
        person.pk,
        w.admin.pk,
        "本人申请（2026 年第 7 号）",
    )
    assert erasure.masked["cases.Case.contact"] == 2 and erasure.masked["cases.CaseEvent.note"] == notes
    assert erasure.masked["points.PointsEntry.note"] == entry_notes and erasure.masked["accounts.User"] == 1
    assert PHONE not in str(erasure.masked) and "王芳" not in str(erasure.masked)
    assert_append_only(erasure)


def test_outside_an_erasure_the_history_still_refuses_to_change(history):
    erase(PHONE, "--by", ADMIN, "--reason", "本人申请")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(actor=history.citizen).update(note="王芳")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PointsEntry.objects.filter(person=history.citizen).update(note="王芳")


def test_the_person_can_no_longer_sign_in(client, history):
    assert client.login(phone=PHONE, password=PASSWORD)
    erase(PHONE, "--by", ADMIN, "--reason", "本人申请")
    assert client.get("/m/").wsgi_request.user.is_anonymous  # the session ended with the password
    assert not client.login(phone=PHONE, password=PASSWORD)


@pytest.mark.parametrize(
    "args, message",
    [
        ((PHONE, "--by", ADMIN), "--reason"),  # no reason: argparse refuses
        ((PHONE, "--by", ADMIN, "--reason", "  "), "ground for the erasure"),
        ((PHONE, "--by", ADMIN, "--reason", "申" * 501), "limited to 500"),
        (
            (PHONE, "--by", "13900000003", "--reason", "本人申请"),
            "only an administrator",
        ),  # 张伟, a dispatcher
        ((ADMIN, "--by", ADMIN, "--reason", "本人申请"), "another administrator"),
        (("13999999999", "--by", ADMIN, "--reason", "本人申请"), "no user with phone"),
    ],
)
def test_the_command_refuses_and_changes_nothing(history, args, message):
    with pytest.raises(CommandError, match=message):
        erase(*args)
    assert User.objects.get(phone=PHONE).real_name == "王芳"
    assert not PersonalDataErasure.objects.exists()
    assert Case.objects.filter(contact_phone=PHONE).count() == 2


def test_a_person_is_erased_once(history):
    erase(PHONE, "--by", ADMIN, "--reason", "本人申请")
    with pytest.raises(CommandError, match="already been erased"):
        erase(erased_phone(history.citizen), "--by", ADMIN, "--reason", "再次申请")
    assert PersonalDataErasure.objects.count() == 1


def test_the_sign_in_throttles_records_of_the_person_go_too(client, history):
    from axes.models import AccessAttempt, AccessFailureLog

    client.post("/accounts/login/", {"username": PHONE, "password": "wrong-password"}, REMOTE_ADDR="10.0.0.5")
    assert AccessAttempt.objects.filter(username=PHONE).exists()
    assert "wrong-password" not in str(list(AccessAttempt.objects.values()))  # never the password tried
    erase(PHONE, "--by", ADMIN, "--reason", "本人申请")
    assert not AccessAttempt.objects.filter(username=PHONE).exists()
    assert not AccessFailureLog.objects.filter(username=PHONE).exists()
    assert holding(PHONE) == set()
