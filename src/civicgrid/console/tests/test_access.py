"""Who may enter the console and which queues each role gets."""

import pytest

from civicgrid.console.tests.helpers import as_user

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, world):
    for url in ["/console/", "/console/queue/new/", "/console/cases/2026010100001/", "/console/intake/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next=/console/"), url


def test_citizen_is_refused_with_a_way_back(client, world):
    as_user(client, world.citizen)
    response = client.get("/console/queue/new/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "工作台仅供工作人员使用" in page
    assert 'href="/"' in page  # back to the home page


@pytest.mark.parametrize(
    "persona, default",
    [
        ("dispatcher", "new"),
        ("roads_handler", "to_accept"),
        ("department_admin", "to_accept"),
        ("leader", "red"),
        ("admin", "new"),
        ("grid_member", "to_verify"),
        ("inspector", "mine"),
    ],
)
def test_console_opens_each_roles_default_queue(client, world, persona, default):
    as_user(client, getattr(world, persona))
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == f"/console/queue/{default}/"
    assert client.get(response["Location"]).status_code == 200


QUEUES_OF = {
    "dispatcher": {"new", "to_dispatch", "returned", "extensions", "to_verify", "to_close", "all", "mine"},
    "roads_handler": {"to_accept", "handling", "mine"},
    "leader": {"supervised", "red", "all", "mine"},
}


@pytest.mark.parametrize("persona", sorted(QUEUES_OF))
def test_each_role_sees_its_queues_and_no_other(client, world, persona):
    as_user(client, getattr(world, persona))
    page = client.get("/console/queue/mine/").content.decode()
    every = {
        "new",
        "to_dispatch",
        "returned",
        "extensions",
        "to_verify",
        "to_close",
        "to_accept",
        "handling",
        "supervised",
        "red",
        "all",
        "mine",
    }
    for name in every:
        listed = f'data-queue="{name}"' in page
        assert listed == (name in QUEUES_OF[persona]), (persona, name)
        status = client.get(f"/console/queue/{name}/").status_code
        assert status == (200 if name in QUEUES_OF[persona] else 403), (persona, name, status)


def test_unknown_queue_is_404(client, world):
    as_user(client, world.dispatcher)
    assert client.get("/console/queue/nonsense/").status_code == 404


def test_hotline_entry_is_for_dispatchers_only(client, world):
    as_user(client, world.roads_handler)
    assert client.get("/console/intake/").status_code == 403
    assert 'href="/console/intake/"' not in client.get("/console/queue/to_accept/").content.decode()
    as_user(client, world.dispatcher)
    assert client.get("/console/intake/").status_code == 200
