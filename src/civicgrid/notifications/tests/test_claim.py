"""claim_due(): each due row goes to exactly one worker, even with two at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import _try_claim, claim_due, lease, notify


def _queue(n: int) -> list[int]:
    return [
        notify(recipient=None, kind="case_progress", title=f"进展 {i}", body="", channels=["log"]).pk
        for i in range(n)
    ]


def test_two_claims_at_the_same_moment_get_disjoint_rows(db):
    ids = _queue(5)
    now = timezone.now()
    first = claim_due(limit=3, now=now)
    second = claim_due(limit=3, now=now)
    third = claim_due(limit=3, now=now)
    assert len(first) == 3 and len(second) == 2 and third == []
    assert {n.pk for n in first}.isdisjoint({n.pk for n in second})
    assert {n.pk for n in first} | {n.pk for n in second} == set(ids)
    assert all(n.claimed_at == now for n in first + second)


def test_the_conditional_update_refuses_a_row_claimed_after_our_select(db):
    """What a PostgreSQL worker sees when another claimed the row between its SELECT and UPDATE."""
    (pk,) = _queue(1)
    now = timezone.now()
    stale_before = now - lease()
    assert _try_claim(pk, now=now, stale_before=stale_before) is True  # the other worker
    assert _try_claim(pk, now=now, stale_before=stale_before) is False  # us, with a stale candidate list
    Notification.objects.filter(pk=pk).update(processed_at=now, claimed_at=None)
    assert _try_claim(pk, now=now, stale_before=stale_before) is False  # delivered meanwhile


def test_rows_not_yet_due_or_processed_are_not_claimed(db):
    later, done, due = _queue(3)
    now = timezone.now()
    notify(recipient=None, kind="x", title="仅站内", body="", channels=[])
    Notification.objects.filter(pk=later).update(next_attempt_at=now + timedelta(minutes=1))
    Notification.objects.filter(pk=done).update(processed_at=now)
    assert [n.pk for n in claim_due(now=now)] == [due]


def test_a_claim_held_by_a_dead_worker_expires_after_the_lease(db):
    (pk,) = _queue(1)
    now = timezone.now()
    assert [n.pk for n in claim_due(now=now)] == [pk]
    assert claim_due(now=now + lease() - timedelta(seconds=1)) == []
    assert [n.pk for n in claim_due(now=now + lease() + timedelta(seconds=1))] == [pk]


def test_claimed_rows_come_with_their_recipient(world, django_assert_num_queries):
    for _ in range(3):
        notify(recipient=world.citizen, kind="case_progress", title="进展", body="", channels=["log"])
    batch = claim_due(now=timezone.now())
    with django_assert_num_queries(0):
        assert [n.recipient.phone for n in batch] == ["13900000001"] * 3


@pytest.mark.django_db(transaction=True)
def test_two_worker_threads_claim_disjoint_sets(settings):
    """Two threads, two connections to the file SQLite test database, claiming concurrently."""
    assert connection.vendor != "sqlite" or "memory" not in str(connection.settings_dict["NAME"])
    ids = set(_queue(40))
    now = timezone.now()
    start = threading.Barrier(2)
    results: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait(timeout=10)
            while batch := claim_due(limit=5, now=now):
                results[name].extend(n.pk for n in batch)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    a, b = results["a"], results["b"]
    assert len(a) == len(set(a)) and len(b) == len(set(b))
    assert set(a).isdisjoint(b)
    assert set(a) | set(b) == ids
    assert Notification.objects.filter(claimed_at=now).count() == 40
