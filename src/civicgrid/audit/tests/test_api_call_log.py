"""Every request made with an API client's key is logged once the answer is ready; sessions are not."""

from __future__ import annotations

import logging

import pytest

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.accounts.scopes import Scope
from civicgrid.audit.models import ApiCall
from civicgrid.audit.services import api_call_record
from civicgrid.cases.tests.helpers import as_user, report_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def keyed(routed_world):
    client = api_client_create(
        name="区城管执法系统",
        user=routed_world.dispatcher,
        scopes=[Scope.CASES_CREATE, Scope.CASES_READ],
        kind="hotline",
    )
    key, raw = api_key_issue(client=client)
    return client, key, {"Authorization": f"Bearer {raw}"}


def test_a_keyed_call_is_logged_with_its_status_endpoint_and_request_id(client, keyed):
    api_client, key, headers = keyed
    response = client.get("/api/cases", headers={**headers, "X-Request-ID": "req-12345678"})
    assert response.status_code == 200
    call = ApiCall.objects.get()
    assert (call.client, call.key_prefix, call.method) == (api_client, key.prefix, "GET")
    assert (call.endpoint, call.path, call.status) == ("/api/cases", "/api/cases", 200)
    assert call.request_id == "req-12345678"
    assert call.duration_ms >= 0 and call.case_number == ""


def test_a_created_case_and_a_case_in_the_path_are_logged_by_number(client, keyed):
    _, _, headers = keyed
    created = client.post("/api/cases", report_body(), content_type="application/json", headers=headers)
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    assert client.get(f"/api/cases/{number}", headers=headers).status_code == 200
    assert client.get("/api/cases/2026010100999", headers=headers).status_code == 404
    rows = list(ApiCall.objects.order_by("id").values_list("method", "endpoint", "status", "case_number"))
    assert rows == [
        ("POST", "/api/cases", 201, number),
        ("GET", "/api/cases/{number}", 200, number),
        ("GET", "/api/cases/{number}", 404, "2026010100999"),
    ]


def test_a_refused_scope_is_logged_with_its_status(client, routed_world):
    api_client = api_client_create(name="只读", user=routed_world.leader, scopes=[Scope.STATS_READ])
    _, raw = api_key_issue(client=api_client)
    response = client.get("/api/cases", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 403
    assert list(ApiCall.objects.values_list("client", "status")) == [(api_client.pk, 403)]


def test_session_and_unknown_key_calls_are_not_logged(client, routed_world):
    assert as_user(client, routed_world.dispatcher).get("/api/cases").status_code == 200
    client.logout()
    assert client.get("/api/cases", headers={"Authorization": "Bearer cgk_unknown"}).status_code == 401
    assert not ApiCall.objects.exists()


def test_a_failing_write_does_not_break_the_request(client, keyed, monkeypatch, caplog):
    _, _, headers = keyed

    def broken(**kwargs):
        raise RuntimeError("database is gone")

    monkeypatch.setattr("civicgrid.audit.services.api_call_record", broken)
    with caplog.at_level(logging.ERROR, logger="civicgrid.audit.middleware"):
        response = client.get("/api/cases", headers=headers)
    assert response.status_code == 200
    assert "could not record GET /api/cases" in caplog.text
    assert not ApiCall.objects.exists()


def test_a_failing_insert_leaves_the_database_usable(client, keyed, monkeypatch):
    """A real database error (too long a status) inside the request's work does not poison the connection."""
    _, _, headers = keyed
    monkeypatch.setattr(
        "civicgrid.audit.services.api_call_record",
        lambda **kw: api_call_record(**{**kw, "status": -1}),  # a CHECK / unsigned violation
    )
    assert client.get("/api/cases", headers=headers).status_code == 200
    monkeypatch.undo()
    assert client.get("/api/cases", headers=headers).status_code == 200
    assert ApiCall.objects.count() == 1


def test_the_log_costs_one_insert(client, keyed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, _, headers = keyed
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/cases", headers=headers).status_code == 200
    inserts = [q["sql"] for q in queries.captured_queries if "apicall" in q["sql"].lower()]
    assert len(inserts) == 1 and inserts[0].upper().startswith("INSERT")


def test_a_crash_in_the_view_is_logged_as_500(client, keyed, monkeypatch, settings):
    _, _, headers = keyed
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    client.raise_request_exception = False

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("civicgrid.cases.selectors.case_list", crash, raising=False)
    monkeypatch.setattr("civicgrid.cases.api.visible_cases", crash, raising=False)
    response = client.get("/api/cases", headers=headers)
    assert response.status_code == 500
    assert list(ApiCall.objects.values_list("endpoint", "status")) == [("/api/cases", 500)]
