"""Photo uploads of a request: the per-person rate limit, then `photos.process_uploads`.

Every page and endpoint that takes photos calls `uploads_process(files, user=...)`. A person may
send at most CIVICGRID_PHOTO_UPLOADS_PER_HOUR photos in a clock hour (counted when they arrive,
accepted or not: decoding is what costs); more are refused with 429 before any is read. The count
is taken by one conditional UPDATE (`photos <= limit - n`), so two requests racing for the last
places cannot both get them.
"""

from __future__ import annotations

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
