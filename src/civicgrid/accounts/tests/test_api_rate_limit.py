"""Per-client rate limit: over `rate_limit_per_minute` a request is refused with 429, Retry-After and
the error body; the count is kept in the database, so it holds across the server's processes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection, connections

from civicgrid.accounts.clients import (
    api_client_create,
    api_key_issue,
    api_rate_count,
    api_rate_windows_prune,
)
from civicgrid.accounts.models import ApiRateWindow

URL = "/api/accounts/me"
START = datetime(2026, 12, 7, 8, 0, 15, tzinfo=UTC)


def key(user, limit: int):
    client = api_client_create(name="热线", user=user, scopes=["account:read"], rate_limit_per_minute=limit)
    return client, {"Authorization": f"Bearer {api_key_issue(client=client)[1]}"}


@pytest.mark.django_db
def test_over_the_limit_is_429_with_retry_after_and_the_error_body(client, world):
    _, headers = key(world.dispatcher, 3)
    with time_machine.travel(START, tick=False):
        assert [client.get(URL, headers=headers).status_code for _ in range(3)] == [200, 200, 200]
        response = client.get(URL, headers=headers)
    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    body = response.json()
    assert body["error"] == "rate_limited"
    assert "3" in body["message_zh"] and "3" in body["message_en"]


@pytest.mark.django_db
def test_the_next_minute_starts_a_new_count(client, world):
    _, headers = key(world.dispatcher, 1)
    with time_machine.travel(START, tick=False):
        assert client.get(URL, headers=headers).status_code == 200
        assert client.get(URL, headers=headers).status_code == 429
    with time_machine.travel(START.replace(minute=1), tick=False):
        assert client.get(URL, headers=headers).status_code == 200


@pytest.mark.django_db
def test_each_client_has_its_own_count(client, world):
    _, first = key(world.dispatcher, 1)
    _, second = key(world.leader, 1)
    with time_machine.travel(START, tick=False):
        assert client.get(URL, headers=first).status_code == 200
        assert client.get(URL, headers=first).status_code == 429
        assert client.get(URL, headers=second).status_code == 200


@pytest.mark.django_db
def test_a_session_has_no_client_limit(client, world):
    key(world.dispatcher, 1)
    client.force_login(world.dispatcher)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.django_db
def test_counting_is_one_statement_and_old_minutes_are_pruned(world, django_assert_num_queries):
    api_client, _ = key(world.dispatcher, 5)
    with time_machine.travel(START, tick=False):
        with django_assert_num_queries(1):
            assert api_rate_count(client=api_client) == (1, 45)
        assert api_rate_count(client=api_client)[0] == 2
    with time_machine.travel(START.replace(minute=5), tick=False):
        assert api_rate_windows_prune() == 1
    assert not ApiRateWindow.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections")
def test_concurrent_requests_never_pass_more_than_the_limit(world):
    from django.test import Client

    limit, threads, each = 7, 6, 4
    _, headers = key(world.dispatcher, limit)
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def run():
        try:
            barrier.wait()
            mine = [Client().get(URL, headers=headers).status_code for _ in range(each)]
            with lock:
                statuses.extend(mine)
        finally:
            connections.close_all()

    with time_machine.travel(START, tick=False):
        workers = [threading.Thread(target=run) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert len(statuses) == threads * each
    assert statuses.count(200) == limit
    assert statuses.count(429) == threads * each - limit
