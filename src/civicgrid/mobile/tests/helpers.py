"""Shared helpers of the H5 page tests: places in the test city, photos, and driving a case along."""

from __future__ import annotations

import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.accounts.models import User
from civicgrid.accounts.sms import MemorySmsSender
from civicgrid.cases.choices import Action
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case
from civicgrid.cases.photos import process_photo
from civicgrid.cases.workflow import MoveInput, case_transition

# Inside cell 150603001001001 (李强's cell: 109.76–109.77 E × 39.61–39.62 N).
NORTH_1 = (39.615, 109.765)
CELL_NORTH_1 = "150603001001001"
NORTH_1_BOX = (109.76, 39.61, 109.77, 39.62)  # min lon, min lat, max lon, max lat
# Inside cell 150603001001002 (nobody's cell).
NORTH_2 = (39.615, 109.775)


def jpeg_bytes(size: tuple[int, int] = (40, 30), colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def jpeg_upload(name: str = "photo.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")


def code_from(text: str | None) -> str:
    match = re.search(r"\b(\d{6})\b", text or "")
    assert match, f"no code in {text!r}"
    return match.group(1)


def last_code(phone: str) -> str:
    return code_from(MemorySmsSender.last_text_to(phone))


def report(
    reporter: User,
    *,
    category=None,
    point=NORTH_1,
    description: str = "人行道上有一处坑洞",
    photos: int = 0,
    channel: str = "app",
) -> Case:
    submission = Submission(
        description=description,
        lat=point[0],
        lon=point[1],
        category=category,
        channel=channel,
        photos=[process_photo(jpeg_bytes()) for _ in range(photos)],
    )
    case = case_submit(reporter=reporter, submission=submission).case
    return case


def move(case: Case, action: str, actor: User, note: str = "", **payload) -> Case:
    case_transition(case=case, action=action, actor=actor, note=note, payload=MoveInput(**payload))
    case.refresh_from_db()
    return case


def run_to_handled(case: Case, world, *, feedback_photos: int = 0) -> Case:
    """Register, dispatch (by routing), accept and feed back — the case then waits for 核查."""
    case = move(case, Action.REGISTER, world.dispatcher)
    if case.status == "registered":
        case = move(case, Action.DISPATCH, world.dispatcher)
    handler = (
        world.roads_handler
        if case.department_id == world.roads_handler.department_id
        else world.parks_handler
    )
    case = move(case, Action.ACCEPT, handler)
    photos = [process_photo(jpeg_bytes(colour=(40, 160, 40))) for _ in range(feedback_photos)]
    return move(case, Action.FEEDBACK, handler, "已修复路面", photos=photos)


def run_to_closed(case: Case, world, *, feedback_photos: int = 0) -> Case:
    case = run_to_handled(case, world, feedback_photos=feedback_photos)
    case = move(case, Action.VERIFY, world.dispatcher)
    return move(case, Action.CLOSE, world.dispatcher)
