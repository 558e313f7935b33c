import pytest

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role

pytestmark = pytest.mark.django_db


def _client(scopes):
    user = User.objects.create_user(phone="13900000077", role=Role.DISPATCHER)
    client = api_client_create(name="12345 热线", user=user, scopes=scopes, kind="hotline")
    return api_key_issue(client=client)[1]


def test_a_key_with_the_scope_lists_cases(client):
    raw = _client(["cases:read"])
    assert client.get("/api/cases", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_a_key_without_the_scope_is_refused(client):
    raw = _client(["cases:create"])
    response = client.get("/api/cases", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 403
    assert response.json()["error"] == "scope_missing"


def test_an_unknown_key_is_401(client):
    assert client.get("/api/cases", headers={"Authorization": "Bearer cgk_nothing"}).status_code == 401
