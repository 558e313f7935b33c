"""A browser session must send its CSRF token on a POST; a bearer-token client needs none."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.accounts.clients import api_personal_key_issue

pytestmark = pytest.mark.urls("civicgrid.accounts.tests.csrf_probe_urls")
PROBE = "/probe/echo"


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def test_a_session_post_to_the_api_without_a_csrf_token_is_refused(csrf_client, world):
    csrf_client.force_login(world.dispatcher)
    response = csrf_client.post(PROBE)
    assert response.status_code == 403


def test_a_session_post_to_the_api_with_the_csrf_token_is_accepted(csrf_client, world):
    csrf_client.force_login(world.dispatcher)
    csrf_client.get("/")  # any page with a form sets the CSRF cookie
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(PROBE, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.json() == {"user": world.dispatcher.phone}


def test_a_bearer_token_post_needs_no_csrf_token(csrf_client, world):
    _, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    response = csrf_client.post(PROBE, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200


def test_an_anonymous_api_post_is_401_not_a_csrf_failure(csrf_client, world):
    # Without a session there is nothing to forge: the caller must sign in, whatever the method.
    assert csrf_client.post(PROBE).status_code == 401


@pytest.mark.urls("civicgrid.urls")
@pytest.mark.parametrize(
    "method, url",
    [
        ("post", "/api/cases"),
        ("post", "/api/notifications/read-all"),
        ("post", "/api/cases/NO-SUCH-CASE/me-too"),
        ("get", "/api/cases"),
    ],
)
def test_an_anonymous_request_to_a_protected_endpoint_is_401(csrf_client, world, method, url):
    response = getattr(csrf_client, method)(url, data={}, content_type="application/json")
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthenticated"
    assert body["message_zh"] and body["message_en"] and body["field"] is None


@pytest.mark.urls("civicgrid.urls")
def test_a_session_post_without_the_csrf_token_is_403_with_the_error_body(csrf_client, world):
    csrf_client.force_login(world.citizen)
    response = csrf_client.post("/api/notifications/read-all")
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "csrf_failed"
    assert body["message_zh"] and body["message_en"]


@pytest.mark.urls("civicgrid.urls")
def test_a_bad_bearer_token_post_is_401(csrf_client, world):
    response = csrf_client.post("/api/notifications/read-all", headers={"Authorization": "Bearer cg_nope"})
    assert response.status_code == 401


def test_logout_without_a_csrf_token_is_refused(csrf_client, world):
    csrf_client.force_login(world.citizen)
    assert csrf_client.post("/accounts/logout/").status_code == 403
    assert "_auth_user_id" in csrf_client.session
