"""The security officer's search pages: who may open them, and the filters who / whose / kind / dates."""

from __future__ import annotations

import re

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.audit.models import AccessEvent, AccessKind
from civicgrid.audit.services import access_record
from civicgrid.cases.tests.helpers import local
from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db

LIST = "/admin/audit/accessevent/"
CHANGES = "/admin/auditlog/logentry/"


@pytest.fixture
def auditor(db):
    user = user_create(phone="13900000010", password=PASSWORD, real_name="审计员", role=Role.AUDITOR)
    user.is_staff = True  # may use the admin site (the capability decides what it shows)
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def staffed(world):
    for user in (world.admin, world.dispatcher):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return world


@pytest.fixture
def entries(staffed, time_machine):
    w = staffed
    time_machine.move_to(local(2026, 11, 2, 10))
    access_record(
        kind=AccessKind.PERSONAL_DATA, actor=w.dispatcher, subject=w.citizen, target="case:A", reason="回访"
    )
    time_machine.move_to(local(2026, 11, 20, 10))
    access_record(kind=AccessKind.EXPORT, actor=w.leader, target="queue-all-20261120.csv")
    access_record(
        kind=AccessKind.PERSONAL_DATA, actor=w.admin, subject=w.grid_member, target="case:B", reason="核实"
    )
    time_machine.move_to(local(2026, 12, 1, 10))
    return w


def shown(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return re.findall(r'<td class="field-target">([^<]*)</td>', response.content.decode())


def test_the_auditor_and_the_admin_may_search_the_audit(client, entries, auditor):
    for user in (auditor, entries.admin):
        client.force_login(user)
        assert len(shown(client.get(LIST + "?kind=personal_data"))) == 2
        assert client.get(CHANGES).status_code == 200


def test_everyone_else_is_refused(client, entries, auditor):
    # A dispatcher may use the admin site for nothing here; a citizen not at all.
    client.force_login(entries.dispatcher)
    assert client.get(LIST).status_code == 403
    assert client.get(CHANGES).status_code == 403
    client.force_login(entries.citizen)
    assert client.get(LIST).status_code == 302  # to the admin login
    client.logout()
    assert client.get(LIST).status_code == 302


def test_filters_who_whose_kind_and_date_range(client, entries, auditor):
    w = entries
    client.force_login(auditor)
    assert shown(client.get(LIST + f"?who={w.dispatcher.phone}&kind=personal_data")) == ["case:A"]
    assert shown(client.get(LIST + "?who=管理员&kind=personal_data")) == ["case:B"]
    assert shown(client.get(LIST + f"?whose={w.grid_member.phone}")) == ["case:B"]
    assert shown(client.get(LIST + "?whose=王芳&kind=personal_data")) == ["case:A"]
    assert shown(client.get(LIST + "?kind=export")) == ["queue-all-20261120.csv"]
    assert shown(client.get(LIST + "?from=2026-11-01&to=2026-11-02&kind=personal_data")) == ["case:A"]
    assert sorted(shown(client.get(LIST + "?from=2026-11-03&to=2026-11-30"))) == [
        "case:B",
        "queue-all-20261120.csv",
    ]
    assert shown(client.get(LIST + "?to=2026-11-01")) == []
    page = client.get(LIST + "?who=管理员").content.decode()
    assert 'name="who" value="管理员"' in page  # the box keeps what was typed


def test_the_audit_is_read_only_even_for_the_admin(client, entries):
    client.force_login(entries.admin)
    entry = AccessEvent.objects.first()
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.get(f"{LIST}{entry.pk}/delete/").status_code == 403
    response = client.post(f"{LIST}{entry.pk}/change/", {"reason": "改掉"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.reason != "改掉"
