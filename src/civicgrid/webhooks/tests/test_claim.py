"""Two workers never send the same delivery at the same time; a dead worker's claims come back."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from civicgrid.cases.tests.helpers import local
from civicgrid.webhooks import services
from civicgrid.webhooks.tests.conftest import subscribe

pytestmark = pytest.mark.django_db


def test_a_second_worker_claims_nothing_the_first_holds(routed_world, roads_system):
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as traveller:
        subscription, _ = subscribe(roads_system, "https://szk.example.org/hook")
        for _ in range(4):
            services.webhook_test_send(subscription=subscription)
        first = services.claim_due()
        second = services.claim_due()
        assert len(first) == 4 and second == []
        # The first worker died: after the lease its claims are claimable again, once.
        traveller.shift(services.LEASE + timedelta(seconds=1))
        third = services.claim_due()
        assert {d.pk for d in third} == {d.pk for d in first}
        assert services.claim_due() == []


def test_the_conditional_update_decides_between_racing_workers(routed_world, roads_system, monkeypatch):
    """Both workers read the same candidates; only the one whose UPDATE changes the row has it."""
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False):
        subscription, _ = subscribe(roads_system, "https://szk.example.org/hook")
        delivery = services.webhook_test_send(subscription=subscription)
        real_filter = services.WebhookDelivery.objects.filter
        raced = []

        def filter_then_race(*args, **kwargs):
            # Just before our conditional UPDATE, the other worker claims the row.
            if kwargs.get("pk") == delivery.pk and not raced:
                raced.append(True)
                real_filter(pk=delivery.pk).update(claimed_at=services.clock.now())
            return real_filter(*args, **kwargs)

        monkeypatch.setattr(services.WebhookDelivery.objects, "filter", filter_then_race)
        assert services.claim_due() == []


def test_one_subscription_takes_only_its_share_of_a_pass(routed_world, roads_system, parks_system):
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False):
        busy, _ = subscribe(roads_system, "https://szk.example.org/hook")
        other, _ = subscribe(parks_system, "https://ylzx.example.org/hook")
        for _ in range(services.PER_SUBSCRIPTION + 5):
            services.webhook_test_send(subscription=busy)
        services.webhook_test_send(subscription=other)
        claimed = services.claim_due()
        assert sum(d.subscription_id == busy.pk for d in claimed) == services.PER_SUBSCRIPTION
        # The other subscription's one delivery goes second, not after the busy one's ten.
        assert [d.subscription_id for d in claimed[:2]] == [busy.pk, other.pk]


@pytest.mark.django_db(transaction=True)
def test_two_worker_threads_claim_disjoint_sets(routed_world, roads_system):
    """Two threads, two database connections, claiming at the same moment."""
    import threading

    from django.db import connection

    assert connection.vendor != "sqlite" or "memory" not in str(connection.settings_dict["NAME"])
    subscription, _ = subscribe(roads_system, "https://szk.example.org/hook")
    ids = {services.webhook_test_send(subscription=subscription).pk for _ in range(30)}
    now = services.clock.now()
    start = threading.Barrier(2)
    results: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait(timeout=10)
            while batch := services.claim_due(limit=4, now=now):
                results[name].extend(d.pk for d in batch)
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
    assert set(a).isdisjoint(b) and set(a) | set(b) == ids
