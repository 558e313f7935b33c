"""Shortcuts of the console tests: report and move cases through the real services."""

from __future__ import annotations

import io

from django.test import Client
from PIL import Image

from civicgrid.accounts.models import User
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case
from civicgrid.cases.photos import process_photo
from civicgrid.cases.workflow import MoveInput, case_transition

NORTH_1 = (39.615, 109.765)  # in cell 150603001001001 (李强's), street 150603001
NORTH_2 = (39.615, 109.775)  # in cell 150603001001002


def jpeg(colour=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, format="JPEG")
    return out.getvalue()


def report(
    reporter: User, point=NORTH_1, *, category=None, description="人行道上有一处坑洞", photos=(), **fields
) -> Case:
    submission = Submission(
        description=description,
        lat=point[0],
        lon=point[1],
        category=category,
        photos=[process_photo(p) for p in photos],
        **fields,
    )
    case = case_submit(reporter=reporter, submission=submission).case
    return case


def move(case: Case, action: str, actor: User | None, note: str = "", **payload) -> Case:
    case_transition(case=case, action=action, actor=actor, note=note, payload=MoveInput(**payload))
    case.refresh_from_db()
    return case


def spread(i: int) -> tuple[float, float]:
    """A point per index, far enough from the others not to be taken for a duplicate."""
    return 39.6005 + (i % 18) * 0.001, 109.7605 + (i // 18) * 0.0011


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client
