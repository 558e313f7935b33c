"""The evaluation H5 pages (/e/) through HTTP: who may open what, the checklist's answers (JSON for the
page's script, idempotent on client_uuid, refused far from the site), and the forms' errors (nothing
changes when a form is refused)."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicgrid.evaluation import services
from civicgrid.evaluation.models import Observation, RectificationTask, Result, TaskState
from civicgrid.evaluation.tests.pages_helpers import LAT, LON, build, signed_in

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def ew(world):
    return build(world)


def answer(client, ew, standard, result=Result.PASS, *, lat=LAT, lon=LON, key=None, **extra):
    data = {
        "standard": standard.pk,
        "result": result,
        "note": extra.pop("note", ""),
        "lat": lat,
        "lon": lon,
        "client_uuid": str(key or uuid.uuid4()),
        "at": "",
        **extra,
    }
    return client.post(reverse("evaluation:observe", args=[ew.rs.pk]), data, **JSON)


def fail_at_site(world, ew, standard):
    """A failed observation through the service: it opens the unit's rectification task."""
    obs = services.observation_record(
        round_site=ew.rs,
        standard=standard,
        result=Result.FAIL,
        inspector=world.inspector,
        lat=LAT,
        lon=LON,
        note="绿化带内有垃圾",
    )
    return RectificationTask.objects.get(observation=obs)


# --- who may open what --------------------------------------------------------------------------------


def test_inspector_sees_todays_sites_and_a_checklist_of_the_site_types_standards(world, ew):
    client = signed_in(world.inspector)
    home = client.get(reverse("evaluation:home"))
    assert home.status_code == 200
    text = home.content.decode()
    assert "北苑广场" in text and "天骄公园" in text and "南苑游园" not in text
    page = client.get(reverse("evaluation:site", args=[ew.rs.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    for standard in ew.standards:
        assert f'id="std-{standard.pk}"' in body
    assert body.count("data-ev-answer") == 3


def test_another_inspectors_site_is_not_found(world, ew):
    client = signed_in(ew.second_inspector)
    assert "北苑广场" not in client.get(reverse("evaluation:home")).content.decode()
    assert client.get(reverse("evaluation:site", args=[ew.rs.pk])).status_code == 404
    response = answer(client, ew, ew.standards[0])
    assert response.status_code == 404
    assert not Observation.objects.exists()


@pytest.mark.parametrize("persona", ["citizen", "grid_member", "leader"])
def test_people_who_are_not_inspectors_cannot_open_inspector_pages(world, ew, persona):
    client = signed_in(getattr(world, persona))
    assert client.get(reverse("evaluation:site", args=[ew.rs.pk])).status_code == 403
    assert answer(client, ew, ew.standards[0]).status_code == 403
    assert not Observation.objects.exists()


def test_a_citizen_cannot_open_the_home_or_the_tasks(world, ew):
    client = signed_in(world.citizen)
    assert client.get(reverse("evaluation:home")).status_code == 403
    assert client.get(reverse("evaluation:tasks")).status_code == 403


def test_anonymous_goes_to_the_login(ew, client):
    response = client.get(reverse("evaluation:site", args=[ew.rs.pk]))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_a_unit_sees_only_its_own_tasks(world, ew):
    task = fail_at_site(world, ew, ew.standards[0])
    assert task.unit == world.departments["YLZX"]
    parks = signed_in(world.parks_handler)
    # A unit's staff landing on /e/ go to their tasks.
    assert parks.get(reverse("evaluation:home")).url == reverse("evaluation:tasks")
    listing = parks.get(reverse("evaluation:tasks")).content.decode()
    assert f'data-task="{task.pk}"' in listing
    assert parks.get(reverse("evaluation:task", args=[task.pk])).status_code == 200

    roads = signed_in(world.roads_handler)  # 住建局市政科: not the unit of 北苑广场
    listing = roads.get(reverse("evaluation:tasks")).content.decode()
    assert f'data-task="{task.pk}"' not in listing
    assert roads.get(reverse("evaluation:task", args=[task.pk])).status_code == 404
    response = roads.post(
        reverse("evaluation:task_evidence", args=[task.pk]),
        {"note": "已清理", "files": SimpleUploadedFile("a.jpg", b"x", content_type="image/jpeg")},
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.state == TaskState.OPEN and not task.evidence.exists()


def test_only_the_sites_inspector_may_reinspect(world, ew):
    task = fail_at_site(world, ew, ew.standards[0])
    RectificationTask.objects.filter(pk=task.pk).update(state=TaskState.SUBMITTED)
    other = signed_in(ew.second_inspector)
    assert other.get(reverse("evaluation:task", args=[task.pk])).status_code == 404
    parks = signed_in(world.parks_handler)  # the unit cannot judge its own work
    response = parks.post(
        reverse("evaluation:task_reinspect", args=[task.pk]), {"result": "pass", "lat": LAT, "lon": LON}
    )
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.state == TaskState.SUBMITTED


# --- the checklist's answers ------------------------------------------------------------------------------


def test_an_answer_is_recorded_with_its_position_and_a_failure_opens_a_task(world, ew):
    client = signed_in(world.inspector)
    response = answer(client, ew, ew.standards[1], Result.FAIL, note="栏杆破损")
    assert response.status_code == 200, response.content
    data = response.json()
    obs = Observation.objects.get(pk=data["id"])
    assert (obs.result, obs.inspector, obs.note) == (Result.FAIL, world.inspector, "栏杆破损")
    assert obs.lat == pytest.approx(LAT) and obs.distance_m is not None and obs.distance_m < 5
    assert data["result"] == "fail" and data["task"] == obs.task.pk
    assert obs.task.unit == world.departments["YLZX"]
    # The checklist now shows the standard as answered.
    page = client.get(reverse("evaluation:site", args=[ew.rs.pk])).content.decode()
    assert "ev-standard done red" in page


def test_a_draft_sent_twice_is_recorded_once(world, ew):
    client = signed_in(world.inspector)
    key = uuid.uuid4()
    first = answer(client, ew, ew.standards[0], Result.FAIL, key=key)
    again = answer(client, ew, ew.standards[0], Result.FAIL, key=key)
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Observation.objects.count() == 1
    assert RectificationTask.objects.count() == 1


def test_an_answer_far_from_the_site_is_refused_and_nothing_is_recorded(world, ew):
    client = signed_in(world.inspector)
    response = answer(client, ew, ew.standards[0], Result.FAIL, lat=LAT + 0.01)  # ~1.1 km north
    assert response.status_code in (400, 409, 422)
    assert response.json()["error"]["message"]
    assert not Observation.objects.exists() and not RectificationTask.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"result": "maybe"},  # not a result
        {"lat": ""},  # no position
        {"client_uuid": "not-a-uuid"},
    ],
)
def test_a_malformed_answer_is_refused_with_its_field(world, ew, change):
    client = signed_in(world.inspector)
    response = answer(client, ew, ew.standards[0], **change)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["fields"]
    assert set(error["fields"]) & {"result", "lat", "client_uuid"}
    assert not Observation.objects.exists()


def test_a_standard_of_another_site_type_is_refused(world, ew):
    client = signed_in(world.inspector)
    ew.standards[2].__class__.objects.filter(pk=ew.standards[2].pk).update(site_types=["market"])
    response = answer(client, ew, ew.standards[2])
    assert response.status_code == 404
    assert not Observation.objects.exists()


def test_without_script_an_answer_comes_back_to_the_checklist_with_a_message(world, ew):
    client = signed_in(world.inspector)
    data = {
        "standard": ew.standards[0].pk,
        "result": "pass",
        "lat": LAT,
        "lon": LON,
        "client_uuid": str(uuid.uuid4()),
    }
    response = client.post(reverse("evaluation:observe", args=[ew.rs.pk]), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("evaluation:site", args=[ew.rs.pk])
    assert "已记录" in response.content.decode()
    # Without a position (no script to fill it), the message says why and nothing is kept.
    data["client_uuid"] = str(uuid.uuid4())
    data.pop("lat")
    response = client.post(reverse("evaluation:observe", args=[ew.rs.pk]), data, follow=True)
    assert "未获取到定位" in response.content.decode()
    assert Observation.objects.count() == 1


# --- the unit's evidence and the re-inspection: form errors ------------------------------------------------


def test_evidence_with_neither_a_file_nor_a_note_is_refused(world, ew):
    task = fail_at_site(world, ew, ew.standards[0])
    parks = signed_in(world.parks_handler)
    response = parks.post(reverse("evaluation:task_evidence", args=[task.pk]), {"note": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'role="alert"' in body and "请上传整改照片或材料" in body
    task.refresh_from_db()
    assert task.state == TaskState.OPEN and task.submitted_at is None


def test_an_over_long_note_is_refused_next_to_the_field(world, ew):
    task = fail_at_site(world, ew, ew.standards[0])
    parks = signed_in(world.parks_handler)
    response = parks.post(reverse("evaluation:task_evidence", args=[task.pk]), {"note": "长" * 501})
    assert response.status_code == 422
    assert 'class="field invalid"' in response.content.decode()
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_evidence_moves_the_task_to_reinspection(world, ew, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    task = fail_at_site(world, ew, ew.standards[0])
    parks = signed_in(world.parks_handler)
    response = parks.post(
        reverse("evaluation:task_evidence", args=[task.pk]),
        {
            "note": "已清理绿化带垃圾",
            "files": SimpleUploadedFile("after.pdf", b"%PDF-1.4\n", "application/pdf"),
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.SUBMITTED and task.evidence_note == "已清理绿化带垃圾"
    # The inspector now sees it first in their list, waiting for re-inspection.
    listing = signed_in(world.inspector).get(reverse("evaluation:tasks")).content.decode()
    assert f'data-task="{task.pk}" data-state="submitted"' in listing
    assert "1 项待复查" in listing


def test_reinspection_without_a_position_or_result_is_refused(world, ew):
    task = fail_at_site(world, ew, ew.standards[0])
    RectificationTask.objects.filter(pk=task.pk).update(state=TaskState.SUBMITTED)
    client = signed_in(world.inspector)
    response = client.post(reverse("evaluation:task_reinspect", args=[task.pk]), {"note": "x"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "未获取到定位" in body and 'id="reinspect-form"' in body
    task.refresh_from_db()
    assert task.state == TaskState.SUBMITTED
    assert Observation.objects.count() == 1
