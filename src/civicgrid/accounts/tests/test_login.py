"""The login page: phone number and password, then back to where the user was going; logout by POST."""

from __future__ import annotations

from civicgrid.testing import PASSWORD


def test_the_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert "csrfmiddlewaretoken" in html


def test_login_with_phone_and_password_redirects_home(client, world):
    response = client.post("/accounts/login/", {"username": world.citizen.phone, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == world.citizen.id


def test_login_redirects_to_next(client, world):
    response = client.post(
        "/accounts/login/?next=/api/docs",
        {"username": world.dispatcher.phone, "password": PASSWORD, "next": "/api/docs"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/api/docs"


def test_login_refuses_an_offsite_next(client, world):
    response = client.post(
        "/accounts/login/",
        {"username": world.citizen.phone, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_wrong_password_shows_an_error_and_does_not_log_in(client, world):
    response = client.post(
        "/accounts/login/", {"username": world.citizen.phone, "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_inactive_user_cannot_log_in(client, world):
    world.citizen.is_active = False
    world.citizen.save()
    client.post("/accounts/login/", {"username": world.citizen.phone, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_a_logged_in_user_is_sent_on_from_the_login_page(client, world):
    client.force_login(world.citizen)
    assert client.get("/accounts/login/").status_code == 302


def test_logout_is_a_post(client, world):
    client.force_login(world.citizen)
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    assert client.get("/api/accounts/me").status_code == 401


def test_the_session_then_works_for_the_api(client, world):
    client.post("/accounts/login/", {"username": world.leader.phone, "password": PASSWORD})
    assert client.get("/api/accounts/me").json()["role"] == "leader"
