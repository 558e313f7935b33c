"""Observations on site: far from the site refused; a draft sent twice recorded once (also at once);
only the assigned inspector, an applicable standard, an open round, a time in the round."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connections

from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.evaluation import services
from civicgrid.evaluation.models import Observation, ObservationPhoto, RectificationTask, Result, RoundSite
from civicgrid.evaluation.tests.helpers import at_site, build, jpeg, local
from civicgrid.testing import assert_append_only

pytestmark = pytest.mark.django_db


def record(ev, round_site, standard=None, result=Result.PASS, metres=20.0, **extra):
    return services.observation_record(
        round_site=round_site,
        standard=standard or ev.litter,
        result=result,
        inspector=extra.pop("inspector", ev.world.inspector),
        **{**at_site(round_site, metres), **extra},
    )


def nothing_recorded() -> None:
    assert Observation.objects.count() == 0
    assert RectificationTask.objects.count() == 0
    assert ObservationPhoto.objects.count() == 0


def test_the_checklist_is_the_field_standards_of_the_site_type(ev):
    assert [s.code for s in services.standards_for(ev.round_site("road"))] == ["A1.1", "A1.2"]
    assert [s.code for s in services.standards_for(ev.round_site("market"))] == ["A1.1"]


def test_an_observation_far_from_its_site_is_refused(ev, settings):
    road = ev.round_site("road")
    with pytest.raises(DomainError) as refused:
        record(ev, road, result=Result.FAIL, metres=250, photos=[jpeg()])
    assert refused.value.code == "too_far_from_site" and refused.value.field == "lat"
    nothing_recorded()
    settings.CIVICGRID_EVALUATION_MAX_DISTANCE_M = 300
    observation = record(ev, road, metres=250)
    assert 245 < observation.distance_m < 255


def test_an_observation_without_a_position_is_refused(ev):
    road = ev.round_site("road")
    with pytest.raises(DomainError) as refused:
        services.observation_record(
            round_site=road,
            standard=ev.litter,
            result=Result.PASS,
            inspector=ev.world.inspector,
            lat=None,
            lon=None,
        )
    assert refused.value.code == "location_required"
    nothing_recorded()


def test_a_pass_records_where_when_and_who(ev, monday):
    road = ev.round_site("road")
    observation = record(ev, road, note="整洁", photos=[jpeg(), jpeg("b.jpg")])
    assert observation.result == Result.PASS
    assert observation.inspector == ev.world.inspector
    assert observation.observed_at == local(2026, 11, 23, 9, 0)
    assert ObservationPhoto.objects.filter(observation=observation).count() == 2
    assert RoundSite.objects.get(pk=road.pk).visited_at == observation.observed_at
    assert not RectificationTask.objects.exists()


def test_observations_are_append_only(ev):
    road = ev.round_site("road")
    first = record(ev, road, result=Result.FAIL, note="垃圾", client_uuid=uuid.uuid4())
    task = RectificationTask.objects.get(observation=first)
    services.task_submit_evidence(task=task, actor=ev.world.roads_handler, note="已清理")
    services.task_reinspect(
        task=task, inspector=ev.world.inspector, result=Result.PASS, client_uuid=uuid.uuid4(), **at_site(road)
    )
    assert_append_only(Observation.objects.get(reinspects=first))


def test_a_failure_opens_a_task_due_in_three_working_days(ev, monday):
    road = ev.round_site("road")
    observation = record(ev, road, result=Result.FAIL, photos=[jpeg()])
    task = RectificationTask.objects.get(observation=observation)
    assert task.unit == road.site.unit
    assert task.due_at == local(2026, 11, 26, 18, 0)  # Monday → the end of Thursday


def test_a_failure_on_friday_is_due_after_the_weekend(ev, monday):
    monday.move_to(local(2026, 11, 27, 16, 0))
    observation = record(ev, ev.round_site("road"), result=Result.FAIL)
    assert RectificationTask.objects.get(observation=observation).due_at == local(2026, 12, 2, 18, 0)


def test_a_draft_sent_twice_is_recorded_once(ev):
    road = ev.round_site("road")
    key = uuid.uuid4()
    first = record(ev, road, result=Result.FAIL, client_uuid=key, photos=[jpeg()])
    again = record(ev, road, result=Result.FAIL, client_uuid=str(key), photos=[jpeg()])
    assert again.pk == first.pk
    assert Observation.objects.count() == 1
    assert RectificationTask.objects.count() == 1
    assert ObservationPhoto.objects.count() == 1


def test_a_draft_uuid_of_another_inspector_is_refused(ev, world):
    road = ev.round_site("road")
    key = uuid.uuid4()
    record(ev, road, client_uuid=key)
    with pytest.raises(Conflict):
        record(ev, road, client_uuid=key, inspector=world.admin)


def test_a_second_observation_of_one_standard_is_refused(ev):
    road = ev.round_site("road")
    record(ev, road)
    with pytest.raises(Conflict) as refused:
        record(ev, road, result=Result.FAIL)
    assert refused.value.code == "already_observed"
    assert Observation.objects.count() == 1


def test_only_the_assigned_inspector_records(ev, world):
    road = ev.round_site("road")
    RoundSite.objects.filter(pk=road.pk).update(inspector=world.admin)
    with pytest.raises(PermissionDenied):
        record(ev, road)
    nothing_recorded()


def test_a_standard_that_does_not_apply_is_refused(ev):
    market = ev.round_site("market")
    with pytest.raises(DomainError) as refused:
        record(ev, market, standard=ev.signs)  # road only
    assert refused.value.code == "standard_not_applicable"
    with pytest.raises(DomainError):
        record(ev, market, standard=ev.files)  # a material standard
    nothing_recorded()


def test_only_an_open_round_records(ev):
    services.round_close(round=ev.round, actor=ev.world.admin)
    with pytest.raises(Conflict):
        record(ev, ev.round_site("road"))
    nothing_recorded()


def test_the_phones_time_must_fall_in_the_round_and_not_ahead(ev, monday):
    road = ev.round_site("road")
    with pytest.raises(DomainError) as refused:
        record(ev, road, at=local(2026, 10, 31, 12, 0))
    assert refused.value.code == "time_outside_round"
    with pytest.raises(DomainError) as refused:
        record(ev, road, at=local(2026, 11, 23, 9, 0) + timedelta(hours=1))
    assert refused.value.code == "time_future"
    nothing_recorded()
    offline = record(ev, road, at=local(2026, 11, 20, 15, 30))  # kept on the phone since Friday
    assert offline.observed_at == local(2026, 11, 20, 15, 30)


@pytest.mark.django_db(transaction=True)
def test_one_draft_arriving_twice_at_once_is_recorded_once(world, categories, monday):
    ev = build(world, categories)
    road = ev.round_site("road")
    key = uuid.uuid4()
    n = 6
    start = threading.Barrier(n)
    results: list[object] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            start.wait(timeout=30)
            outcome: object = record(ev, road, result=Result.FAIL, client_uuid=key).pk
        except Exception as exc:  # reported below
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=send) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    assert Observation.objects.count() == 1
    assert RectificationTask.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_drafts_of_one_standard_at_once_make_one_observation(world, categories, monday):
    ev = build(world, categories)
    road = ev.round_site("road")
    n = 4
    start = threading.Barrier(n)
    results: list[object] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            start.wait(timeout=30)
            outcome: object = record(ev, road, result=Result.FAIL, client_uuid=uuid.uuid4()).pk
        except Conflict as exc:
            outcome = exc.code
        except Exception as exc:  # reported below
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=send) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r for r in results if isinstance(r, str)) == ["already_observed"] * (n - 1), results
    assert Observation.objects.count() == 1
    assert RectificationTask.objects.count() == 1
