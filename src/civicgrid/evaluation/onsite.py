"""What an inspector's visit to a site shares, first or re-inspection: the photos (EXIF-free copies), the
phone's position against the site, and a draft sent twice from a weak network recorded once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.conf import settings
from django.core.files.base import ContentFile

from civicgrid.accounts.models import User
from civicgrid.cases.photos import ProcessedPhoto, process_uploads
from civicgrid.core.errors import Conflict, DomainError
from civicgrid.evaluation.models import Observation, ObservationPhoto, RoundSite
from civicgrid.grids.coords import distance_m


def photos_process(files: Sequence) -> list[ProcessedPhoto]:
    ready = [f for f in files if isinstance(f, ProcessedPhoto)]
    uploads = [f for f in files if not isinstance(f, ProcessedPhoto)]
    return ready + (process_uploads(list(uploads)) if uploads else [])


def photos_store(observation: Observation, photos: Sequence[ProcessedPhoto]) -> None:
    for number, photo in enumerate(photos, start=1):
        row = ObservationPhoto(observation=observation)
        # The public copy: re-encoded, without the phone's EXIF (its GPS is in the observation already).
        row.image.save(f"{observation.pk}-{number}.jpg", ContentFile(photo.public), save=False)
        row.save(force_insert=True)


def position_check(round_site: RoundSite, lat: object, lon: object) -> float:
    """The distance (m) from the site, or DomainError when there is no position or it is too far."""
    try:
        lat_value, lon_value = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DomainError(
            "location_required",
            "未获取到定位，请打开手机定位后重试",
            "no position: turn on the phone's location and try again",
            field="lat",
        ) from None
    if not (-90 <= lat_value <= 90 and -180 <= lon_value <= 180):
        raise DomainError("location_invalid", "定位无效", "the position is not valid", field="lat")
    site = round_site.site
    distance = distance_m(lat_value, lon_value, site.lat, site.lon)
    limit = settings.CIVICGRID_EVALUATION_MAX_DISTANCE_M
    if distance > limit:
        raise DomainError(
            "too_far_from_site",
            f"当前位置距点位「{site.name}」约 {distance:.0f} 米，超过 {limit:.0f} 米，请到现场后记录",
            f"you are about {distance:.0f} m from {site.name!r}, more than {limit:.0f} m: record it on site",
            field="lat",
        )
    return distance


def uuid_check(client_uuid: object) -> uuid.UUID | None:
    if client_uuid in (None, ""):
        return None
    try:
        return client_uuid if isinstance(client_uuid, uuid.UUID) else uuid.UUID(str(client_uuid))
    except ValueError:
        raise DomainError(
            "client_uuid_invalid", "草稿编号无效", "client_uuid is not a UUID", field="client_uuid"
        ) from None


def draft_replay(key: uuid.UUID | None, inspector: User) -> Observation | None:
    if key is None:
        return None
    found = Observation.objects.filter(client_uuid=key).first()
    if found is not None and found.inspector_id != inspector.pk:
        raise Conflict(
            "client_uuid_taken", "草稿编号已被使用", "this client_uuid is already used", field="client_uuid"
        )
    return found
