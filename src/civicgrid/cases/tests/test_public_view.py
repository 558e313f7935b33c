"""The public (masked) view: /api/public/cases — what anyone may see, and what never leaves the platform."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.cases.models import CasePhoto
from civicgrid.cases.tests.helpers import (
    LAKE,
    NORTH_1,
    NORTH_2,
    as_user,
    exif_gps,
    jpeg_bytes,
    move,
    post_json,
    report_body,
    run_to,
    submit,
)

pytestmark = pytest.mark.django_db

EXACT = (39.6151234, 109.7656789)


@pytest.fixture
def handled(client, routed_world, categories):
    """A report with contact details and a geotagged photo, handled with a geotagged result photo."""
    w = routed_world
    data = {
        **report_body(EXACT, category="06013", contact_name="王芳", contact_phone="13912345678"),
        "photos": [SimpleUploadedFile("hole.jpg", jpeg_bytes(gps=True), content_type="image/jpeg")],
    }
    r = as_user(client, w.citizen).post("/api/cases", data=data)
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    from civicgrid.cases.models import Case

    case = Case.objects.get(number=number)
    run_to(case, "accepted", w)
    as_user(client, w.roads_handler)
    photo = SimpleUploadedFile(
        "fixed.jpg", jpeg_bytes(colour=(20, 150, 20), gps=True), content_type="image/jpeg"
    )
    r = client.post(f"/api/cases/{number}/actions/feedback", data={"note": "刘洋已修补", "photos": [photo]})
    assert r.status_code == 200, r.content
    client.logout()
    case.refresh_from_db()
    return case


def test_public_detail_hides_people_and_rounds_the_place(client, routed_world, handled):
    r = client.get(f"/api/public/cases/{handled.number}")  # anonymous
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "handled"
    assert (body["lat"], body["lon"]) == (39.6151, 109.7657)  # about 10 m
    text = json.dumps(body, ensure_ascii=False)
    # No reporter, no phone, no actor (the handler's note names him, and notes stay internal too).
    for secret in ("王芳", "王*", "13912345678", "张伟", "刘洋", str(EXACT[0]), str(EXACT[1])):
        assert secret not in text, secret
    assert "reporter" not in body and "contact_phone" not in body and "events" not in body
    assert [s["action"] for s in body["timeline"]] == ["report", "register", "dispatch", "feedback"]
    assert all(set(s) == {"action", "label", "status", "at", "department"} for s in body["timeline"])
    assert body["timeline"][2]["department"] == "住建局市政科"
    assert len(body["result_photos"]) == 1  # the result, not the reporter's photo


def test_public_photo_files_carry_no_gps_but_originals_keep_it(routed_world, handled, settings):
    photos = list(CasePhoto.objects.filter(case=handled).order_by("id"))
    assert [p.stage for p in photos] == ["report", "feedback"]
    for photo in photos:
        with photo.original.open("rb") as f:
            original = f.read()
        with photo.public.open("rb") as f:
            public = f.read()
        with photo.thumbnail.open("rb") as f:
            thumbnail = f.read()
        assert exif_gps(original), "the private original keeps the reporter's position"
        assert exif_gps(public) == {} and exif_gps(thumbnail) == {}
        assert b"Exif" not in public[:2048]
        # The public copy lives under MEDIA_ROOT, the original elsewhere.
        assert photo.public.path.startswith(str(settings.MEDIA_ROOT))
        assert not photo.original.path.startswith(str(settings.MEDIA_ROOT))


def test_private_rejected_merged_and_unregistered_cases_are_404(client, routed_world, categories):
    w = routed_world
    private = submit(w.citizen, NORTH_1, category=categories["04002"], is_public=False)
    run_to(private, "registered", w)
    rejected = submit(w.citizen, NORTH_2, category=categories["04002"])
    move(rejected, "reject", w.dispatcher, "无效")
    unregistered = submit(w.citizen, NORTH_2, category=categories["06013"])
    original = submit(w.citizen, LAKE, category=categories["06010"])
    merged = submit(w.grid_member, LAKE, category=categories["06010"])
    assert merged.status == "merged"
    run_to(original, "registered", w)
    for case in (private, rejected, unregistered, merged):
        r = client.get(f"/api/public/cases/{case.number}")
        assert r.status_code == 404, case.status
        assert r.json()["error"] == "case_not_found"
    assert client.get(f"/api/public/cases/{original.number}").status_code == 200
    assert client.get("/api/public/cases/2099010100001").status_code == 404
    listed = {c["number"] for c in client.get("/api/public/cases").json()}
    assert listed == {original.number}


def test_public_list_filters_by_bbox_status_and_category(client, routed_world, categories, settings):
    settings.CIVICGRID_PUBLISH_BEFORE_REGISTRATION = True  # reports are public as soon as they are made
    w = routed_world
    north = submit(w.citizen, NORTH_1, category=categories["06013"])
    east = submit(w.citizen, NORTH_2, category=categories["04002"])
    lake = submit(w.citizen, LAKE, category=categories["06010"])
    run_to(east, "registered", w)

    def numbers(**params):
        r = client.get("/api/public/cases", params)
        assert r.status_code == 200, r.content
        return {c["number"] for c in r.json()}

    assert numbers() == {north.number, east.number, lake.number}
    assert numbers(bbox="109.76,39.61,109.77,39.62") == {north.number}
    assert numbers(bbox="109.76,39.61,109.78,39.62") == {north.number, east.number}
    assert numbers(bbox="109.78,39.60,109.79,39.61") == {lake.number}
    assert numbers(status="registered") == {east.number}
    assert numbers(category="06010") == {lake.number}
    r = client.get("/api/public/cases", {"bbox": "109.79,39.6,109.76,39.62"})
    assert (r.status_code, r.json()["error"]) == (422, "bbox_invalid")
    rows = client.get("/api/public/cases").json()
    assert all(set(row) >= {"number", "lat", "lon"} and "reporter" not in row for row in rows)
    assert all(row["timeline"] == [] for row in rows)


def test_private_case_reporter_still_sees_it(client, routed_world, categories):
    r = post_json(
        as_user(client, routed_world.citizen), "/api/cases", report_body(category="04002", is_public=False)
    )
    number = r.json()["number"]
    assert client.get(f"/api/cases/{number}").status_code == 200
    assert client.get(f"/api/public/cases/{number}").status_code == 404
