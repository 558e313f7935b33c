"""Photo uploads of a request: the per-person rate limit, then `photos.process_uploads`.

Every page and endpoint that takes photos calls `uploads_process(files, user=...)`. A person may
send at most CIVICGRID_PHOTO_UPLOADS_PER_HOUR photos in a clock hour (counted when they arrive,
accepted or not: decoding is what costs); more are refused with 429 before any is read. The count
is taken by one conditional UPDATE (`photos <= limit - n`), so two requests racing for the last
places cannot both get them.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from civicgrid.accounts.models import User
from civicgrid.cases.models import PhotoUploadWindow
from civicgrid.cases.photos import ProcessedPhoto, process_uploads
from civicgrid.core import clock
from civicgrid.core.errors import DomainError


def uploads_process(files: list, *, user: User) -> list[ProcessedPhoto]:
    """The request's photos checked and processed, once the sender's hourly allowance has room."""
    files = [f for f in files if f]
    if files:
        upload_allowance_take(user=user, n=len(files))
    return process_uploads(files)


def upload_allowance_take(*, user: User, n: int) -> None:
    """Count `n` photos against the person's allowance for this hour, or refuse (429) counting none."""
    limit = settings.CIVICGRID_PHOTO_UPLOADS_PER_HOUR
    window = clock.now().replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        if not PhotoUploadWindow.objects.filter(user=user, window_start=window).exists():
            PhotoUploadWindow.objects.filter(user=user, window_start__lt=window).delete()
            try:
                with transaction.atomic():
                    PhotoUploadWindow.objects.create(user=user, window_start=window)
            except IntegrityError:
                pass  # a parallel request of the same person made it first
        taken = PhotoUploadWindow.objects.filter(
            user=user, window_start=window, photos__lte=limit - n
        ).update(photos=F("photos") + n)
    if not taken:
        raise DomainError(
            "photo_rate_limited",
            f"上传照片过于频繁：每小时最多 {limit} 张，请稍后再试",
            f"too many photos: at most {limit} an hour; please try again later",
            field="photos",
            status=429,
        )


# --- photos held across a refused form (a phone should not have to pick them again) ---------------

HELD_SALT = "civicgrid.cases.uploads.held"
HELD_MAX_AGE = 24 * 3600  # seconds a held photo may be sent on with the form
HELD_FOLDER = "held"  # in the private storage (never served), one folder per person


def uploads_hold(files: list, *, user: User) -> str:
    """Keep the photos of a form that was refused for another reason; returns the pending upload
    token the form sends back (a hidden field), signed and bound to the person, or "" for none.

    Kept as sent (not yet counted nor processed: `uploads_with_held` does both when the form goes
    through), in the private storage, at most CIVICGRID_PHOTO_MAX_COUNT and none over the size limit.
    """
    from django.core import signing
    from django.core.files.storage import storages

    files = [f for f in files if f and f.size <= settings.CIVICGRID_PHOTO_MAX_BYTES]
    files = files[: settings.CIVICGRID_PHOTO_MAX_COUNT]
    if not files:
        return ""
    storage, folder = storages["private"], f"{HELD_FOLDER}/{user.pk}/{secrets.token_hex(16)}"
    names = []
    for i, upload in enumerate(files):
        upload.seek(0)
        names.append([storage.save(f"{folder}/{i}.upload", upload), (upload.name or "")[:100]])
    return signing.dumps({"u": user.pk, "f": names}, salt=HELD_SALT, compress=True)


def uploads_held(token: str, *, user: User) -> list:
    """The photos a pending upload token holds (as uploaded files), or a clear error when it is stale."""
    from django.core import signing
    from django.core.files.storage import storages
    from django.core.files.uploadedfile import SimpleUploadedFile

    if not token:
        return []
    try:
        data = signing.loads(token, salt=HELD_SALT, max_age=HELD_MAX_AGE)
    except signing.BadSignature:
        data = None
    storage = storages["private"]
    if not data or data.get("u") != user.pk or not all(storage.exists(n) for n, _ in data.get("f", [])):
        raise DomainError(
            "held_photos_expired",
            "之前选择的照片已失效，请重新选择照片",
            "the photos chosen before have expired: choose them again",
            field="photos",
        )
    out = []
    for name, original in data["f"]:
        with storage.open(name) as handle:
            out.append(SimpleUploadedFile(original or "photo", handle.read()))
    return out


def uploads_release(token: str, *, user: User) -> None:
    """Delete what a pending upload token holds (its form went through)."""
    from django.core import signing
    from django.core.files.storage import storages

    try:
        data = signing.loads(token, salt=HELD_SALT, max_age=HELD_MAX_AGE) if token else None
    except signing.BadSignature:
        return
    if data and data.get("u") == user.pk:
        storage = storages["private"]
        for name, _ in data.get("f", []):
            storage.delete(name)


def uploads_with_held(files: list, token: str, *, user: User) -> list[ProcessedPhoto]:
    """The photos of a form: those held from its refused sending and the new ones, counted and processed."""
    files = uploads_held(token, user=user) + [f for f in files if f]
    if files:
        upload_allowance_take(user=user, n=len(files))
    return process_uploads(files)
