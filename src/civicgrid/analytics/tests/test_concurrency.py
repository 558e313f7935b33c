"""Two (four) workers counting at once while the case loop goes on: nothing counted twice, nothing
lost (PostgreSQL: row locks, SKIP LOCKED and upserts really interleave there)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from civicgrid.analytics import rollups
from civicgrid.analytics.tests import direct
from civicgrid.cases.models import CaseEvent
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, east_of, move, north_of, submit


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_count_every_event_once(routed_world, categories):
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is exercised on PostgreSQL")
    w = routed_world
    road, tree = categories["06013"], categories["04002"]
    points = [north_of(east_of(NORTH_1, 60 * i), 60 * j) for i in range(4) for j in range(3)]
    cases = [submit(w.citizen, p, category=road) for p in points]
    for case in cases[:6]:
        move(case, "register", w.dispatcher)
    errors: list[BaseException] = []
    counted: list[int] = []
    stop = threading.Event()

    def worker() -> None:
        try:
            while not stop.is_set():
                counted.append(rollups.apply_pending(batch=3))
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def loop() -> None:  # the case loop goes on meanwhile: new reports, reclassification, dispatch
        try:
            for i, case in enumerate(cases[6:]):
                move(case, "register", w.dispatcher, category=tree if i % 2 else road)
            for case in cases[:6]:
                move(case, "dispatch", w.dispatcher)
            for k in range(6):
                submit(w.citizen, north_of(NORTH_2, -60 * k), category=tree)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    writer = threading.Thread(target=loop)
    for t in [*threads, writer]:
        t.start()
    writer.join(timeout=120)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(counted) > 0  # the workers did count while the loop went on
    while rollups.apply_pending(batch=3):
        pass
    assert not CaseEvent.objects.filter(counted=False).exists()
    for model, dims, grain in rollups.TABLES:
        assert direct.dump(model, dims) == direct.table(dims, grain), model.__name__
