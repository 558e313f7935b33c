"""Storing processed photos: original (private storage), public copy and thumbnail (media storage)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.db import models

from civicgrid.cases.models import Case, CaseEvent, CasePhoto
from civicgrid.core import clock

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def photo_save(row: models.Model, photo) -> models.Model:
    """Fill a photo row's three files and metadata from a ProcessedPhoto and save it.

    Files are named by the photo's hash, never by the upload's name. Any model with the fields
    original/public/thumbnail/width/height/content_type/sha256/created_at can be stored this way
    (case photos, evidence photos of uncivil behaviour).
    """
    name = photo.sha256[:32]
    row.width, row.height = photo.width, photo.height
    row.content_type, row.sha256, row.created_at = photo.content_type, photo.sha256, clock.now()
    row.original.save(
        f"{name}.{EXTENSIONS.get(photo.format, 'bin')}", ContentFile(photo.original), save=False
    )
    row.public.save(f"{name}.jpg", ContentFile(photo.public), save=False)
    row.thumbnail.save(f"{name}-t.jpg", ContentFile(photo.thumbnail), save=False)
    row.save()
    return row


def photos_store(*, case: Case, event: CaseEvent | None, photos: Sequence, stage: str) -> list[CasePhoto]:
    return [photo_save(CasePhoto(case=case, event=event, stage=stage), photo) for photo in photos]
