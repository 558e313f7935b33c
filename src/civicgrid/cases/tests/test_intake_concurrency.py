"""Intake under concurrent submissions, and the database settings that make a 201 durable."""

from __future__ import annotations

import threading
import time

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, east_of, local, post_json, report_body

THREADS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_reports_get_twenty_distinct_numbers(routed_world):
    w = routed_world
    reporters = [w.citizen, w.grid_member, w.dispatcher, w.roads_handler, w.parks_handler]
    start = threading.Barrier(THREADS)
    results: list[tuple[int, dict | str]] = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        try:
            client = Client()
            client.force_login(reporters[i % len(reporters)])
            base = NORTH_1 if i % 2 else NORTH_2
            # No category: nothing is merged as a duplicate, every submission is its own case.
            body = report_body(east_of(base, 15 * i), description=f"并发上报 {i}")
            start.wait(timeout=30)
            r = post_json(client, "/api/cases", body, **{"Idempotency-Key": f"concurrent-{i:04d}"})
            outcome = (r.status_code, r.json() if r.status_code < 500 else r.content.decode())
        except Exception as exc:  # reported below, with the thread's number
            outcome = (0, repr(exc))
        finally:
            connections.close_all()  # this thread's own connection
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(THREADS)]
    # Mid-morning (clock running): all twenty numbers belong to one day, whatever the real time.
    with time_machine.travel(local(2026, 11, 23, 10, 0), tick=True):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)

    assert [status for status, _ in results] == [201] * THREADS, results
    numbers = [body["number"] for _, body in results]
    assert len(set(numbers)) == THREADS
    assert sorted(numbers) == [f"20261123{i:05d}" for i in range(1, THREADS + 1)]
    assert Case.objects.count() == THREADS
    assert set(Case.objects.values_list("number", flat=True)) == set(numbers)
    assert CaseEvent.objects.filter(action="report").count() == THREADS


@pytest.mark.django_db
def test_commits_are_durable_on_the_real_connection():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL: the commit is on disk before the 201
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0].lower() == "wal"
            assert connection.settings_dict["NAME"] != ":memory:"
        elif connection.vendor == "postgresql":
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
        else:
            pytest.skip(f"no durability check for {connection.vendor}")


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_idempotency_key_make_one_case(routed_world):
    n = 8
    start = threading.Barrier(n)
    results: list[tuple[int, str, str | None]] = []
    lock = threading.Lock()

    def retry() -> None:
        try:
            client = Client()
            client.force_login(routed_world.citizen)
            start.wait(timeout=30)
            r = post_json(
                client, "/api/cases", report_body(NORTH_1), **{"Idempotency-Key": "flaky-network-01"}
            )
            outcome = (
                r.status_code,
                r.json().get("number", r.content.decode()),
                r.headers.get("Idempotency-Replayed"),
            )
        except Exception as exc:
            outcome = (0, repr(exc), None)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=retry) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] * (n - 1) + [201], results
    assert len({number for _, number, _ in results}) == 1
    assert all(replayed == "true" for status, _, replayed in results if status == 200)
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_reports_of_one_problem_make_one_case(routed_world, categories):
    """Twenty people report the same blocked drain at the same moment, from points up to 19 m apart
    (across the squares of the duplicate-box locks): one case, nineteen merged into it, nineteen me-toos."""
    w = routed_world
    reporters = [w.citizen, w.grid_member, w.dispatcher, w.roads_handler, w.parks_handler]
    start = threading.Barrier(THREADS)
    results: list[tuple[int, dict | str]] = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        try:
            client = Client()
            client.force_login(reporters[i % len(reporters)])
            body = report_body(east_of(NORTH_1, i), category="06013", description=f"雨水口堵塞 {i}")
            start.wait(timeout=30)
            r = post_json(client, "/api/cases", body)
            outcome = (r.status_code, r.json() if r.status_code < 500 else r.content.decode())
        except Exception as exc:  # reported below, with the thread's number
            outcome = (0, repr(exc))
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)

    assert [status for status, _ in results] == [201] * THREADS, results
    [original] = Case.objects.filter(duplicate_of__isnull=True)
    assert Case.objects.filter(duplicate_of=original, status="merged").count() == THREADS - 1
    assert sorted(body["duplicate_of"] or "" for _, body in results) == [""] + [original.number] * (
        THREADS - 1
    )
    assert original.me_too_count == THREADS - 1
    assert CaseEvent.objects.filter(case=original, action="me_too").count() == THREADS - 1


@pytest.mark.django_db(transaction=True)
def test_the_duplicate_search_runs_under_the_box_lock_in_the_write_transaction(routed_world, monkeypatch):
    """The search for an original and the write it decides are one transaction, the search after the
    lock of the duplicate box: nothing can commit a duplicate between the two."""
    from civicgrid.cases import intake, reportstore

    steps = []
    real_find, real_lock = intake.find_original, reportstore.duplicate_box_lock

    def find_original(**kwargs):
        steps.append(("search", connection.in_atomic_block))
        return real_find(**kwargs)

    def duplicate_box_lock(**kwargs):
        steps.append(("lock", connection.in_atomic_block))
        return real_lock(**kwargs)

    monkeypatch.setattr(intake, "find_original", find_original)
    monkeypatch.setattr(reportstore, "duplicate_box_lock", duplicate_box_lock)
    client = Client()
    client.force_login(routed_world.citizen)
    first = post_json(client, "/api/cases", report_body(category="06013"))
    merged = post_json(client, "/api/cases", report_body(category="06013"))
    assert (first.status_code, merged.status_code) == (201, 201)
    assert merged.json()["status"] == "merged" and merged.json()["duplicate_of"] == first.json()["number"]
    assert steps == [("lock", True), ("search", True)] * 2
    # Without a category there is nothing to merge into: no lock, no search.
    assert post_json(client, "/api/cases", report_body(NORTH_2)).status_code == 201
    assert len(steps) == 4


@pytest.mark.django_db(transaction=True)
def test_a_report_whose_original_is_closed_meanwhile_stands_alone(routed_world, categories, monkeypatch):
    """A dispatcher closes the case a report was about to merge into, between the search and the merge:
    the report never fails on it — it becomes a case of its own, or (SQLite) the close waits for it."""
    from civicgrid.cases import intake
    from civicgrid.cases.tests.helpers import move, run_to, submit

    w = routed_world
    original = run_to(submit(w.citizen, NORTH_1, category=categories["06013"]), "verified", w)
    searched, closing = threading.Event(), threading.Event()
    real_find = intake.find_original

    def find_original(**kwargs):
        found = real_find(**kwargs)
        searched.set()
        closing.wait(timeout=10)
        time.sleep(0.5)  # the dispatcher's close commits meanwhile
        return found

    monkeypatch.setattr(intake, "find_original", find_original)
    outcomes = {}

    def report() -> None:
        try:
            client = Client()
            client.force_login(w.parks_handler)
            r = post_json(client, "/api/cases", report_body(NORTH_1, category="06013"))
            outcomes["report"] = (r.status_code, r.json())
        finally:
            connections.close_all()

    def close() -> None:
        try:
            searched.wait(timeout=10)
            closing.set()
            outcomes["close"] = move(Case.objects.get(pk=original.pk), "close", w.dispatcher).status
        except Exception as exc:
            outcomes["close"] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report), threading.Thread(target=close)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    status, body = outcomes["report"]
    assert outcomes["close"] == "closed"
    original.refresh_from_db()
    if connection.vendor == "sqlite":  # the report's write transaction holds the database: the close waits
        assert (status, body["status"], body["duplicate_of"]) == (201, "merged", original.number), body
        assert (original.status, original.me_too_count) == ("closed", 1)
    else:  # the close commits first; the report finds the case closed when it comes to count one more
        assert (status, body["status"], body["duplicate_of"]) == (201, "reported", None), body
        assert (original.status, original.me_too_count) == ("closed", 0)
        assert not original.events.filter(action="me_too").exists()
