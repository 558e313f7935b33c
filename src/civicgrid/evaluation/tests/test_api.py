"""The evaluation API as the inspector's phone, the unit and the administrator use it."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from civicgrid.evaluation.indicators import INDICATOR_COLUMNS
from civicgrid.evaluation.models import Observation, RectificationTask, TaskState
from civicgrid.evaluation.tests.helpers import at_site, jpeg
from civicgrid.evaluation.tests.test_import import csv_bytes

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def observe(client, round_site, standard, result, *, metres=20.0, key=None, photos=()):
    data = {"standard": standard.pk, "result": result, **at_site(round_site, metres)}
    if key:
        data["client_uuid"] = str(key)
    if photos:
        data["photos"] = list(photos)
    return client.post(f"/api/evaluation/sites/{round_site.pk}/observations", data)


def test_the_inspector_walks_a_site_and_the_unit_rectifies(ev):
    w = ev.world
    inspector = as_user(w.inspector)
    sites = inspector.get("/api/evaluation/sites").json()
    assert len(sites) == 6
    road = ev.round_site("road")
    detail = inspector.get(f"/api/evaluation/sites/{road.pk}").json()
    assert [c["code"] for c in detail["checklist"]] == ["A1.1", "A1.2"]

    far = observe(inspector, road, ev.litter, "fail", metres=400, photos=[jpeg()])
    assert far.status_code == 422 and far.json()["error"] == "too_far_from_site"
    key = uuid.uuid4()
    first = observe(inspector, road, ev.litter, "fail", key=key, photos=[jpeg()])
    assert first.status_code == 201, first.json()
    again = observe(inspector, road, ev.litter, "fail", key=key, photos=[jpeg()])
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Observation.objects.count() == 1
    task_id = first.json()["task_id"]
    detail = inspector.get(f"/api/evaluation/sites/{road.pk}").json()
    assert detail["checklist"][0]["latest"]["result"] == "fail"

    unit = as_user(w.roads_handler)
    tasks = unit.get("/api/evaluation/tasks").json()
    assert [(t["id"], t["light"]) for t in tasks] == [(task_id, "green")]
    assert as_user(w.parks_handler).get(f"/api/evaluation/tasks/{task_id}").status_code == 404
    sent = unit.post(
        f"/api/evaluation/tasks/{task_id}/evidence", {"note": "已清理", "files": [jpeg("after.jpg")]}
    )
    assert sent.status_code == 200 and sent.json()["state"] == TaskState.SUBMITTED

    passed = inspector.post(
        f"/api/evaluation/tasks/{task_id}/reinspect", {"result": "pass", **at_site(road), "photos": [jpeg()]}
    )
    assert passed.status_code == 201 and passed.json()["reinspects_id"] == first.json()["id"]
    assert RectificationTask.objects.get(pk=task_id).state == TaskState.PASSED


def test_a_site_of_another_inspector_is_not_found(ev):
    road = ev.round_site("road")
    response = as_user(ev.world.grid_member).get(f"/api/evaluation/sites/{road.pk}")
    assert response.status_code == 404


def test_a_task_opens_a_case_through_the_api(routed_world, ev):
    road = ev.round_site("road")
    inspector = as_user(ev.world.inspector)
    task_id = observe(inspector, road, ev.litter, "fail", photos=[jpeg()]).json()["task_id"]
    opened = inspector.post(f"/api/evaluation/tasks/{task_id}/case")
    assert opened.status_code == 201
    assert RectificationTask.objects.get(pk=task_id).case_id == opened.json()["case_id"]


def test_import_lists_the_bad_rows_and_export_downloads(ev):
    admin = as_user(ev.world.admin)
    copy = admin.post(
        f"/api/evaluation/editions/{ev.edition.pk}/copy", {"name": "2027"}, content_type="application/json"
    )
    assert copy.status_code == 201 and copy.json()["status"] == "draft"
    bad = csv_bytes(
        INDICATOR_COLUMNS,
        [["B", "公共秩序", "0", "B1", "交通", "B1.1", "x", "abc", "field", "road", "all_or_nothing", "", ""]],
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = admin.post(
        f"/api/evaluation/editions/{copy.json()['id']}/import",
        {"file": SimpleUploadedFile("s.csv", bad, content_type="text/csv"), "fmt": "csv"},
    )
    assert response.status_code == 422
    assert response.json()["error"] == "import_rows_invalid"
    assert "第 2 行 points" in response.json()["message_zh"]
    frozen = admin.post(
        f"/api/evaluation/editions/{ev.edition.pk}/import",
        {"file": SimpleUploadedFile("s.csv", bad, content_type="text/csv")},
    )
    assert frozen.status_code == 409 and frozen.json()["error"] == "edition_frozen"
    exported = admin.get(f"/api/evaluation/editions/{ev.edition.pk}/export?fmt=csv")
    assert exported.status_code == 200
    assert "A1.1" in exported.content.decode("utf-8-sig")
    assert as_user(ev.world.citizen).get("/api/evaluation/editions").json() == []
