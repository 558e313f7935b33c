"""The two signed codes of volunteer service (core.tokens), and how old a venue code is.

Venue code (签到码, purpose "volunteer-venue"): what the organiser's phone shows as a QR of
`/v/checkin/<token>/`. Its payload is the activity's id, the time slot it was made in
(`now // CIVICGRID_VOLUNTEER_CODE_SECONDS`) and the first characters of the activity's
`venue_secret`, so that

- a code changes every slot: a photo of it sent to someone who is not there soon stops working;
- a code names its activity: scanning another activity's code checks in to nothing of yours;
- replacing `venue_secret` (`venue_code_reset`) kills every code shown so far.

The age of a scanned code, in slots (`code_age`), decides what happens to the check-in:

    0 or 1      fresh (the slot on the screen, or the one before it: the grace for a scan at the turn)
    2 … STALE   "a code older than its rotation": queued for the organiser as STALE_CODE
    older       refused (code_expired), as is a code from the future, a forged one (token_invalid)
                and one of a replaced secret (code_revoked)

STALE is CIVICGRID_VOLUNTEER_CODE_STALE_SECONDS (default 3600) in slots.

Personal code (个人码, purpose "volunteer-person"): the QR on the volunteer's page, `/v/walkup/<token>/`,
that an organiser scans to check in a walk-up or someone without a smartphone. It names the volunteer
only; it does not rotate (the organiser sees the person in front of them).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from civicgrid.core import clock, tokens
from civicgrid.core.errors import DomainError
from civicgrid.volunteers.models import Activity, VolunteerProfile

VENUE_PURPOSE = "volunteer-venue"
PERSON_PURPOSE = "volunteer-person"
SECRET_PART = 8  # characters of venue_secret in a venue code
GRACE_SLOTS = 1  # the previous slot still counts as fresh


def code_seconds() -> int:
    return max(10, int(getattr(settings, "CIVICGRID_VOLUNTEER_CODE_SECONDS", 300)))


def stale_seconds() -> int:
    return int(getattr(settings, "CIVICGRID_VOLUNTEER_CODE_STALE_SECONDS", 3600))


def slot_of(moment: datetime) -> int:
    return int(moment.timestamp()) // code_seconds()


def slot_start(slot: int) -> datetime:
    return datetime.fromtimestamp(slot * code_seconds(), tz=UTC)


def _pack(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _unpack(payload: str) -> str:
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise tokens.InvalidToken() from exc


@dataclass(frozen=True)
class VenueCode:
    token: str
    url: str
    expires_at: datetime  # when the screen should show the next one (the grace slot follows)


@dataclass(frozen=True)
class ScannedVenueCode:
    activity: Activity
    slot: int
    age: int  # slots between the code's and now's

    @property
    def fresh(self) -> bool:
        return self.age <= GRACE_SLOTS


def venue_code(*, activity: Activity, now: datetime | None = None) -> VenueCode:
    """The activity's venue code for the current slot."""
    slot = slot_of(now or clock.now())
    payload = _pack(f"{activity.pk}:{slot}:{activity.venue_secret[:SECRET_PART]}")
    token = tokens.sign(VENUE_PURPOSE, payload)
    return VenueCode(token=token, url=f"/v/checkin/{token}/", expires_at=slot_start(slot + 1))


def venue_code_read(token: str, *, now: datetime | None = None) -> ScannedVenueCode:
    """The activity and age of a scanned venue code; refuses forged, revoked, future and expired codes."""
    _kid, payload = tokens.verify(VENUE_PURPOSE, token)
    parts = _unpack(payload).split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise tokens.InvalidToken()
    activity = Activity.objects.filter(pk=int(parts[0])).first()
    if activity is None:
        raise tokens.InvalidToken()
    if parts[2] != activity.venue_secret[:SECRET_PART]:
        raise DomainError(
            "code_revoked",
            "该签到码已作废，请扫描现场最新的签到码",
            "this check-in code was revoked: scan the one shown now",
            field="token",
            status=400,
        )
    slot = int(parts[1])
    age = slot_of(now or clock.now()) - slot
    if age < 0:
        raise tokens.InvalidToken()
    if age * code_seconds() > stale_seconds():
        raise DomainError(
            "code_expired",
            "签到码已过期，请扫描现场最新的签到码",
            "this check-in code has expired: scan the one shown now",
            field="token",
            status=400,
        )
    return ScannedVenueCode(activity=activity, slot=slot, age=age)


def personal_code(*, volunteer: VolunteerProfile) -> str:
    return tokens.sign(PERSON_PURPOSE, _pack(f"{volunteer.pk}:{volunteer.number}"))


def personal_code_url(volunteer: VolunteerProfile) -> str:
    return f"/v/walkup/{personal_code(volunteer=volunteer)}/"


def personal_code_read(token: str) -> VolunteerProfile:
    """The volunteer a personal code names; InvalidToken for anything else."""
    _kid, payload = tokens.verify(PERSON_PURPOSE, token)
    volunteer_id, _, number = _unpack(payload).partition(":")
    volunteer = (
        VolunteerProfile.objects.filter(pk=int(volunteer_id), number=number).select_related("user").first()
        if volunteer_id.isdigit()
        else None
    )
    if volunteer is None:
        raise tokens.InvalidToken()
    return volunteer
