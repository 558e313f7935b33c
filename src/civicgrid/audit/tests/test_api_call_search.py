"""The API call log: append-only, purged after its retention, searched in the console by who may see it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from civicgrid.accounts.clients import api_client_register
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.audit.models import ApiCall
from civicgrid.audit.services import api_call_purge_expired, api_call_record
from civicgrid.cases.tests.helpers import local
from civicgrid.core import periodic
from civicgrid.testing import PASSWORD, assert_append_only

pytestmark = pytest.mark.django_db


def record(client, *, endpoint="/api/cases", path="/api/cases", status=200, case="", method="GET"):
    return api_call_record(
        client_id=client.pk,
        key_prefix="cgk_abcdefgh",
        method=method,
        endpoint=endpoint,
        path=path,
        status=status,
        duration_ms=12,
        case_number=case,
        request_id="r" * 32,
    )


@pytest.fixture
def calls(world, time_machine):
    zjj = api_client_register(
        actor=world.admin,
        name="住建局系统",
        kind="department",
        department=world.departments["ZJJ"],
        scopes=["cases:read"],
    )
    parks = api_client_register(
        actor=world.admin,
        name="园林系统",
        kind="department",
        department=world.departments["YLZX"],
        scopes=["cases:read"],
    )
    time_machine.move_to(local(2026, 11, 2, 10))
    record(zjj, path="/api/cases", status=200)
    time_machine.move_to(local(2026, 11, 20, 10))
    record(
        zjj, endpoint="/api/cases/{number}", path="/api/cases/2026112000001", status=404, case="2026112000001"
    )
    record(
        parks,
        endpoint="/api/cases/{number}/actions/{action}",
        path="/api/cases/2026112000002/actions/accept",
        status=200,
        case="2026112000002",
        method="POST",
    )
    time_machine.move_to(local(2026, 12, 1, 10))
    record(parks, endpoint="/api/stats", path="/api/stats", status=500)
    return zjj, parks


def paths(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return re.findall(r'<td class="code small">(/[^<]*)</td>', response.content.decode())


def test_calls_are_append_only(calls):
    call = ApiCall.objects.first()
    assert_append_only(call)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ApiCall.objects.filter(pk=call.pk).update(status=200)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ApiCall.objects.filter(pk=call.pk).delete()


def test_calls_older_than_the_retention_are_purged(calls, settings, time_machine):
    settings.CIVICGRID_API_CALL_RETENTION_DAYS = 180
    assert "audit.purge_api_calls" in periodic.registered()
    time_machine.move_to(local(2026, 11, 2, 10) + timedelta(days=180, hours=1))
    assert api_call_purge_expired() == 1
    assert ApiCall.objects.count() == 3
    assert api_call_purge_expired() == 0


def test_newest_first_and_every_filter(client, world, calls):
    zjj, parks = calls
    client.force_login(world.admin)
    url = "/console/api-calls/"
    assert paths(client.get(url)) == [
        "/api/stats",
        "/api/cases/2026112000002/actions/accept",
        "/api/cases/2026112000001",
        "/api/cases",
    ]
    assert paths(client.get(url, {"client": parks.pk})) == [
        "/api/stats",
        "/api/cases/2026112000002/actions/accept",
    ]
    assert paths(client.get(url, {"endpoint": "actions"})) == ["/api/cases/2026112000002/actions/accept"]
    assert paths(client.get(url, {"status": "4xx"})) == ["/api/cases/2026112000001"]
    assert paths(client.get(url, {"status": "5xx"})) == ["/api/stats"]
    assert paths(client.get(url, {"status": "200"})) == [
        "/api/cases/2026112000002/actions/accept",
        "/api/cases",
    ]
    assert paths(client.get(url, {"case": "2026112000001"})) == ["/api/cases/2026112000001"]
    assert paths(client.get(url, {"from": "2026-11-20", "to": "2026-11-20"})) == [
        "/api/cases/2026112000002/actions/accept",
        "/api/cases/2026112000001",
    ]
    # Nonsense in a filter is ignored rather than an error.
    assert len(paths(client.get(url, {"from": "2026-13-45", "status": "abc", "client": "x"}))) == 4


def test_paging(client, world, calls, monkeypatch):
    monkeypatch.setattr("civicgrid.console.client_views.CALLS_PER_PAGE", 3)
    client.force_login(world.admin)
    first = client.get("/console/api-calls/", {"status": "", "page": "1"})
    assert len(paths(first)) == 3 and 'rel="next"' in first.content.decode()
    second = client.get("/console/api-calls/", {"page": "2"})
    assert paths(second) == ["/api/cases"] and 'rel="next"' not in second.content.decode()


def test_who_sees_which_calls(client, world, calls):
    auditor = user_create(phone="13900000010", password=PASSWORD, real_name="审计员", role=Role.AUDITOR)
    client.force_login(auditor)
    assert len(paths(client.get("/console/api-calls/"))) == 4
    # A department admin sees their department's clients' calls only, whatever the filter says.
    client.force_login(world.department_admin)
    assert paths(client.get("/console/api-calls/")) == ["/api/cases/2026112000001", "/api/cases"]
    assert paths(client.get("/console/api-calls/", {"client": calls[1].pk})) == []
    for who in (world.dispatcher, world.roads_handler, world.leader):
        client.force_login(who)
        assert client.get("/console/api-calls/").status_code == 403
    client.force_login(world.citizen)
    assert client.get("/console/api-calls/").status_code == 403


def test_the_admin_site_shows_calls_read_only(client, world, calls):
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    client.force_login(world.admin)
    response = client.get("/admin/audit/apicall/", {"q": "2026112000001"})
    assert response.status_code == 200 and "/api/cases/{number}" in response.content.decode()
    call = ApiCall.objects.first()
    assert client.post(f"/admin/audit/apicall/{call.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/apicall/add/").status_code == 403
    assert ApiCall.objects.count() == 4
