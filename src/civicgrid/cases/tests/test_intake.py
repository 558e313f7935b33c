"""Intake (上报) through POST /api/cases: JSON and multipart, checks, channels, auto-moves, retries."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.cases.models import Case, CaseDeadline, CaseEvent, CasePhoto
from civicgrid.cases.tests.helpers import (
    CELL_NORTH_1,
    NORTH_1,
    NORTH_2,
    OUTSIDE,
    as_user,
    assert_error,
    jpeg_bytes,
    post_json,
    report_body,
)
from civicgrid.grids import index
from civicgrid.grids.coords import from_wgs84
from civicgrid.notifications.models import Notification

pytestmark = pytest.mark.django_db

NUMBER_RE = re.compile(r"^\d{8}\d{5}$")


def nothing_written() -> None:
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0
    assert CaseDeadline.objects.count() == 0
    assert CasePhoto.objects.count() == 0
    assert Notification.objects.count() == 0


def photo_upload(i: int, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        f"p{i}.jpg", data or jpeg_bytes(colour=(i * 20 % 255, 90, 30)), content_type="image/jpeg"
    )


# --- a report is acknowledged with its number, place, status and clock ----------------------------


def test_json_report_is_created_with_number_cell_status_and_deadline(
    client, routed_world, categories, monday
):
    r = post_json(
        as_user(client, routed_world.citizen),
        "/api/cases",
        report_body(category="06013", address="青春山路 1 号"),
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"] == "2026112300001"  # YYYYMMDD (local day) + the day's 5-digit sequence
    assert NUMBER_RE.match(body["number"])
    assert body["cell"] == CELL_NORTH_1
    assert body["street"] == "青春山街道"
    assert body["status"] == "reported"
    assert body["category"] == "06013"
    assert body["step"] == "register"
    # Monday 09:00 + 2 working hours (the built-in 立案 limit) = 11:00 the same morning.
    assert body["due_at"] == "2026-11-23T03:00:00Z"
    [deadline] = body["deadlines"]
    assert deadline["step"] == "register"
    assert deadline["limit_hours"] == "2.00"
    assert deadline["unit"] == "working"
    assert deadline["due_at"] == "2026-11-23T03:00:00Z"
    assert [e["action"] for e in body["events"]] == ["report"]
    case = Case.objects.get(number=body["number"])
    assert case.reporter == routed_world.citizen
    assert case.address == "青春山路 1 号"


@pytest.mark.parametrize(
    "persona, body",
    [
        ("citizen", report_body(category="06013", address="青春山路 1 号", contact_name="王女士")),
        ("citizen", report_body()),  # no category: the dispatcher picks one
        ("citizen", report_body(category="06013", urgency="urgent", is_public=False)),
        (
            "dispatcher",
            report_body(
                channel="hotline", category="06013", contact_name="李先生", contact_phone="13812345678"
            ),
        ),
        ("grid_member", report_body(channel="grid", category="06013")),  # registered at once
    ],
)
@pytest.mark.django_db(transaction=True)  # autocommit, as behind the server: PostgreSQL's one-statement path
def test_the_201_answer_is_the_case_as_read_back(client, routed_world, categories, persona, body):
    """The intake answers from the rows it wrote, unvalidated (cases.api._rendered); it must say exactly
    what GET /api/cases/<number> — built from the database and validated by its schema — says."""
    as_user(client, getattr(routed_world, persona))
    numbers = []
    for _ in range(3):  # later reports at the same point and category are merged as duplicates
        created = post_json(client, "/api/cases", body)
        assert created.status_code == 201, created.content
        detail = client.get(f"/api/cases/{created.json()['number']}")
        assert detail.status_code == 200
        assert created.json() == detail.json()
        assert list(created.json()) == list(detail.json())  # the same fields in the same order
        numbers.append(created.json()["number"])
    if body.get("category") and persona == "citizen":
        assert created.json()["status"] == "merged"
        original = Case.objects.get(number=numbers[0])
        assert original.me_too_count == 2
        assert [(e.actor, e.created_at) for e in original.events.filter(action="me_too").order_by("id")] == [
            (routed_world.citizen, Case.objects.get(number=n).created_at) for n in numbers[1:]
        ]
        assert original.followers.filter(user=routed_world.citizen).count() == 1


def test_numbers_count_up_within_a_day(client, routed_world, monday):
    as_user(client, routed_world.citizen)
    numbers = [
        post_json(client, "/api/cases", report_body(point)).json()["number"] for point in (NORTH_1, NORTH_2)
    ]
    assert numbers == ["2026112300001", "2026112300002"]


def test_a_days_hundred_thousandth_report_gets_a_six_digit_sequence(client, routed_world, monday):
    from civicgrid.cases.models import CaseCounter

    CaseCounter.objects.create(day="20261123", last=99_998)
    as_user(client, routed_world.citizen)
    numbers = [
        post_json(client, "/api/cases", report_body(point)).json()["number"] for point in (NORTH_1, NORTH_2)
    ]
    assert numbers == ["2026112399999", "20261123100000"]


def test_multipart_report_with_nine_real_photos(client, routed_world, categories):
    data = {**report_body(category="06013"), "photos": [photo_upload(i) for i in range(9)]}
    r = as_user(client, routed_world.citizen).post("/api/cases", data=data)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["cell"] == CELL_NORTH_1
    assert len(body["photos"]) == 9
    assert {p["stage"] for p in body["photos"]} == {"report"}
    case = Case.objects.get(number=body["number"])
    photos = list(case.photos.all())
    assert len(photos) == 9
    assert all(p.event.action == "report" for p in photos)
    # The report event lists its photos.
    assert len(body["events"][0]["photos"]) == 9


def test_ten_photos_are_refused_and_nothing_is_written(client, routed_world):
    data = {**report_body(), "photos": [photo_upload(i) for i in range(10)]}
    r = as_user(client, routed_world.citizen).post("/api/cases", data=data)
    assert_error(r, 422, "photo_too_many", "photos")
    nothing_written()


def test_text_posing_as_a_photo_is_refused_and_nothing_is_written(client, routed_world):
    fake = SimpleUploadedFile("photo.jpg", b"this is not a picture at all", content_type="image/jpeg")
    data = {**report_body(), "photos": [photo_upload(0), fake]}
    r = as_user(client, routed_world.citizen).post("/api/cases", data=data)
    assert_error(r, 422, "photo_not_image", "photos")
    nothing_written()


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_chinese_map_coordinates_are_converted_to_wgs84(client, routed_world, crs):
    lat, lon = from_wgs84(*NORTH_1, crs)
    # Unconverted, the point would be elsewhere (another cell, or outside the city).
    idx = index.get_index()
    assert not idx.in_city(lat, lon) or idx.locate(lat, lon).code != CELL_NORTH_1
    r = post_json(as_user(client, routed_world.citizen), "/api/cases", report_body((lat, lon), crs=crs))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["lat"] == pytest.approx(NORTH_1[0], abs=1e-6)
    assert body["lon"] == pytest.approx(NORTH_1[1], abs=1e-6)
    assert body["cell"] == CELL_NORTH_1
    assert CaseEvent.objects.get(action="report").data["crs"] == crs


# --- refusals: a clear 422, nothing written -----------------------------------------------------


def test_outside_the_city_is_refused(client, routed_world):
    r = post_json(as_user(client, routed_world.citizen), "/api/cases", report_body(OUTSIDE))
    body = assert_error(r, 422, "outside_city", "lat")
    assert set(body) >= {"error", "field", "message_zh", "message_en"}
    assert "不在本市" in body["message_zh"]
    assert "outside" in body["message_en"]
    nothing_written()


def test_unknown_category_is_refused(client, routed_world):
    r = post_json(as_user(client, routed_world.citizen), "/api/cases", report_body(category="99999"))
    assert_error(r, 422, "category_unknown", "category")
    nothing_written()


@pytest.mark.parametrize("description", ["", "   \n "])
def test_empty_description_is_refused(client, routed_world, description):
    r = post_json(as_user(client, routed_world.citizen), "/api/cases", report_body(description=description))
    assert_error(r, 422, "description_required", "description")
    nothing_written()


def test_anonymous_report_is_refused(client, routed_world):
    r = post_json(client, "/api/cases", report_body())
    assert r.status_code == 401
    nothing_written()


# --- channels -----------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["hotline", "mailbox"])
def test_hotline_and_mailbox_are_for_the_dispatcher(client, routed_world, channel):
    r = post_json(as_user(client, routed_world.citizen), "/api/cases", report_body(channel=channel))
    assert_error(r, 403, "channel_forbidden", "channel")
    nothing_written()

    r = post_json(
        as_user(client, routed_world.dispatcher),
        "/api/cases",
        report_body(channel=channel, contact_name="李先生", contact_phone="13812345678"),
    )
    assert r.status_code == 201, r.content
    assert r.json()["channel"] == channel
    assert r.json()["status"] == "reported"


def test_grid_channel_is_for_grid_members(client, routed_world):
    for persona in (routed_world.citizen, routed_world.dispatcher, routed_world.roads_handler):
        r = post_json(as_user(client, persona), "/api/cases", report_body(channel="grid"))
        assert_error(r, 403, "channel_forbidden", "channel")
    nothing_written()
    r = post_json(as_user(client, routed_world.grid_member), "/api/cases", report_body(channel="grid"))
    assert r.status_code == 201, r.content
    assert r.json()["channel"] == "grid"


# --- automatic moves ----------------------------------------------------------------------------


def test_grid_members_report_with_a_category_is_registered_at_once(client, routed_world, categories):
    w = routed_world
    r = post_json(as_user(client, w.grid_member), "/api/cases", report_body(channel="grid", category="06013"))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "registered"
    assert body["routed_department"] == "ZJJ-SZ"
    assert body["step"] == "dispatch"
    assert [e["action"] for e in body["events"]] == ["report", "register"]
    register = CaseEvent.objects.get(case__number=body["number"], action="register")
    assert register.actor == w.grid_member
    assert (register.from_status, register.to_status) == ("reported", "registered")
    # The 立案 step was closed by the registration and the 派遣 clock runs.
    steps = list(CaseDeadline.objects.filter(case__number=body["number"]).values_list("step", "completed_at"))
    assert [s for s, _ in steps] == ["register", "dispatch"]
    assert steps[0][1] is not None and steps[1][1] is None


def test_grid_members_report_without_a_category_waits_for_the_dispatcher(client, routed_world):
    r = post_json(as_user(client, routed_world.grid_member), "/api/cases", report_body(channel="grid"))
    assert r.status_code == 201
    assert r.json()["status"] == "reported"


def test_citizens_report_is_not_registered_automatically(client, routed_world, categories):
    r = post_json(as_user(client, routed_world.citizen), "/api/cases", report_body(category="06013"))
    assert r.json()["status"] == "reported"


def test_auto_dispatch_category_goes_straight_to_the_routed_department(client, routed_world, categories):
    w = routed_world
    categories["06013"].auto_dispatch = True
    categories["06013"].save(update_fields=["auto_dispatch"])
    r = post_json(as_user(client, w.grid_member), "/api/cases", report_body(channel="grid", category="06013"))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "dispatched"
    assert body["department"] == "ZJJ-SZ"
    assert body["step"] == "handle"
    assert [(e["action"], e["to_status"]) for e in body["events"]] == [
        ("report", "reported"),
        ("register", "registered"),
        ("dispatch", "dispatched"),
    ]
    dispatch = CaseEvent.objects.get(case__number=body["number"], action="dispatch")
    assert dispatch.actor is None and dispatch.actor_role == "system"
    assert dispatch.department == w.departments["ZJJ_SZ"]


def test_auto_dispatch_after_the_dispatcher_registers_a_citizens_report(client, routed_world, categories):
    w = routed_world
    categories["04002"].auto_dispatch = True
    categories["04002"].save(update_fields=["auto_dispatch"])
    number = post_json(as_user(client, w.citizen), "/api/cases", report_body(category="04002")).json()[
        "number"
    ]
    r = post_json(as_user(client, w.dispatcher), f"/api/cases/{number}/actions/register")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "dispatched"
    assert r.json()["department"] == "YLZX"


def test_auto_dispatch_without_a_routing_rule_stays_registered(client, routed_world, categories):
    categories["09006"].auto_dispatch = True  # 占道经营: no routing rule in the test city
    categories["09006"].save(update_fields=["auto_dispatch"])
    r = post_json(as_user(client, routed_world.grid_member), "/api/cases", report_body(category="09006"))
    assert r.json()["status"] == "registered"
    assert r.json()["routed_department"] is None


# --- retries (Idempotency-Key) ------------------------------------------------------------------


def test_same_idempotency_key_twice_gives_one_case(client, routed_world):
    as_user(client, routed_world.citizen)
    first = post_json(client, "/api/cases", report_body(), **{"Idempotency-Key": "retry-key-0001"})
    assert first.status_code == 201, first.content
    assert "Idempotency-Replayed" not in first.headers
    second = post_json(client, "/api/cases", report_body(), **{"Idempotency-Key": "retry-key-0001"})
    assert second.status_code == 200, second.content
    assert second.headers["Idempotency-Replayed"] == "true"
    assert second.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


def test_idempotency_key_of_another_user_is_refused(client, routed_world):
    post_json(
        as_user(client, routed_world.citizen),
        "/api/cases",
        report_body(),
        **{"Idempotency-Key": "retry-key-0002"},
    )
    r = post_json(
        as_user(client, routed_world.grid_member),
        "/api/cases",
        report_body(),
        **{"Idempotency-Key": "retry-key-0002"},
    )
    assert_error(r, 422, "idempotency_key_reused", "Idempotency-Key")
    assert Case.objects.count() == 1


def test_too_short_idempotency_key_is_refused(client, routed_world):
    r = post_json(
        as_user(client, routed_world.citizen), "/api/cases", report_body(), **{"Idempotency-Key": "abc"}
    )
    assert_error(r, 422, "idempotency_key_invalid")
    nothing_written()


def test_refused_report_does_not_use_up_its_idempotency_key(client, routed_world):
    as_user(client, routed_world.citizen)
    r = post_json(client, "/api/cases", report_body(OUTSIDE), **{"Idempotency-Key": "retry-key-0003"})
    assert r.status_code == 422
    r = post_json(client, "/api/cases", report_body(), **{"Idempotency-Key": "retry-key-0003"})
    assert r.status_code == 201
