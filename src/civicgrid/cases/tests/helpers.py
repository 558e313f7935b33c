"""Shared helpers of the case-loop tests: places in the test city, photos, requests and moves.

The test city is drawn in civicgrid/testing.py. Points used here (WGS-84):

- NORTH_1: inside cell 150603001001001 (李强's cell), street 150603001;
- NORTH_2: inside cell 150603001001002 (no grid member);
- LAKE: inside the city but in no cell (the hole of cell 150603001002002);
- OUTSIDE: south-west of the district, outside the city.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.test import Client
from PIL import Image

from civicgrid.accounts.models import User
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case, CaseDeadline
from civicgrid.cases.photos import process_photo
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.core.errors import DomainError
from civicgrid.taxonomy.models import Category

SH = ZoneInfo("Asia/Shanghai")

NORTH_1 = (39.615, 109.765)
NORTH_2 = (39.615, 109.775)
LAKE = (39.605, 109.785)
OUTSIDE = (39.50, 109.70)
CELL_NORTH_1 = "150603001001001"
CELL_NORTH_2 = "150603001001002"

GPS_IFD = 0x8825
METRES_PER_DEGREE_LAT = 111_320.0


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware Asia/Shanghai moment: local(2026, 11, 27, 17) is Friday 17:00 in Kangbashi."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SH)


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point `metres` due north of `point` (lat, lon)."""
    return point[0] + metres / METRES_PER_DEGREE_LAT, point[1]


def east_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    lat = point[0]
    return lat, point[1] + metres / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)))


# --- photos ------------------------------------------------------------------------------------


def jpeg_bytes(
    size: tuple[int, int] = (24, 16), colour: tuple[int, int, int] = (200, 40, 40), *, gps: bool = False
) -> bytes:
    """A small real JPEG; with gps=True it carries an EXIF GPS position (Kangbashi)."""
    image = Image.new("RGB", size, colour)
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x0110] = "Phone X"
        gps_ifd = exif.get_ifd(GPS_IFD)
        gps_ifd[1] = "N"
        gps_ifd[2] = (39.0, 36.0, 54.0)
        gps_ifd[3] = "E"
        gps_ifd[4] = (109.0, 45.0, 54.0)
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def exif_gps(data: bytes) -> dict:
    """The GPS IFD of an image file's EXIF ({} when there is none)."""
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


# --- HTTP --------------------------------------------------------------------------------------


def post_json(client: Client, url: str, data: dict | None = None, **headers):
    return client.post(url, data=json.dumps(data or {}), content_type="application/json", headers=headers)


def report_body(point: tuple[float, float] = NORTH_1, **fields) -> dict:
    body = {"description": "人行道上有一处坑洞", "lat": point[0], "lon": point[1]}
    body.update(fields)
    return body


def api_move(client: Client, number: str, action: str, **data):
    return post_json(client, f"/api/cases/{number}/actions/{action}", data)


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def assert_error(response, status: int, code: str, field: str | None = "__any__") -> dict:
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert body["error"] == code, body
    assert body["message_zh"] and body["message_en"], body
    if field != "__any__":
        assert body["field"] == field, body
    return body


# --- services ----------------------------------------------------------------------------------


def submit(
    reporter: User,
    point: tuple[float, float] = NORTH_1,
    *,
    category: Category | None = None,
    description: str = "人行道上有一处坑洞",
    photos: tuple = (),
    **fields,
) -> Case:
    """Report through the intake service (what the API does after parsing)."""
    submission = Submission(
        description=description,
        lat=point[0],
        lon=point[1],
        category=category,
        photos=[process_photo(p) for p in photos],
        **fields,
    )
    result = case_submit(reporter=reporter, submission=submission)
    case, created = result.case, result.created
    assert created
    return case


def move(case: Case, action: str, actor: User | None, note: str = "", **payload):
    """One move through the choke point; returns the refreshed case."""
    case_transition(case=case, action=action, actor=actor, note=note, payload=MoveInput(**payload))
    case.refresh_from_db()
    return case


def refused(case: Case, action: str, actor: User | None, note: str = "", **payload) -> DomainError:
    """A move that must be refused without changing anything; returns the error."""
    before = snapshot(case)
    try:
        case_transition(case=case, action=action, actor=actor, note=note, payload=MoveInput(**payload))
    except DomainError as exc:
        after = snapshot(case)
        assert after == before, f"{action} by {actor} was refused ({exc.code}) but changed the case"
        return exc
    raise AssertionError(f"{action} by {actor} on a {before.status} case was not refused")


@dataclass(frozen=True)
class Snapshot:
    status: str
    fields: tuple
    events: tuple
    deadlines: tuple
    extensions: tuple


def snapshot(case: Case) -> Snapshot:
    """Everything a refused move must leave as it was."""
    row = Case.objects.get(pk=case.pk)
    fields = tuple(getattr(row, f.attname) for f in Case._meta.concrete_fields)
    events = tuple(row.events.order_by("id").values_list("id", "action", "from_status", "to_status"))
    deadlines = tuple(
        CaseDeadline.objects.filter(case=row)
        .order_by("id")
        .values_list(
            "id", "step", "started_at", "due_at", "warn_at", "extended_hours", "completed_at", "on_time"
        )
    )
    extensions = tuple(row.extension_requests.order_by("id").values_list("id", "status", "hours"))
    return Snapshot(row.status, fields, events, deadlines, extensions)


def run_to(case: Case, status: str, world, *, department=None) -> Case:
    """Drive a freshly reported case through the normal loop up to `status`."""
    order = ["reported", "registered", "dispatched", "accepted", "handled", "verified", "closed"]
    steps = {
        "registered": ("register", world.dispatcher, "", {}),
        "dispatched": ("dispatch", world.dispatcher, "", {"department": department}),
        "accepted": ("accept", world.roads_handler, "", {}),
        "handled": ("feedback", world.roads_handler, "已修复", {}),
        "verified": ("verify", world.dispatcher, "", {}),
        "closed": ("close", world.dispatcher, "", {}),
    }
    case.refresh_from_db()
    for target in order[order.index(case.status) + 1 : order.index(status) + 1]:
        action, actor, note, payload = steps[target]
        if target in ("accepted", "handled") and case.department_id != world.departments["ZJJ_SZ"].pk:
            actor = world.parks_handler
        case = move(case, action, actor, note, **payload)
        assert case.status == target, (action, case.status)
    return case
