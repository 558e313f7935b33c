"""Storing processed photos: original (private storage), public copy and thumbnail (media storage)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.base import ContentFile

from civicgrid.cases.models import Case, CaseEvent, CasePhoto
from civicgrid.core import clock


def photos_store(*, case: Case, event: CaseEvent | None, photos: Sequence, stage: str) -> list[CasePhoto]:
    """Save each ProcessedPhoto (cases/photos.py) under a name derived from its hash, never the upload's."""
    stored = []
    for photo in photos:
        name = photo.sha256[:32]
        ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}.get(photo.format, "bin")
        row = CasePhoto(case=case, event=event, stage=stage, width=photo.width, height=photo.height,
                        content_type=photo.content_type, sha256=photo.sha256, created_at=clock.now())
        row.original.save(f"{name}.{ext}", ContentFile(photo.original), save=False)
        row.public.save(f"{name}.jpg", ContentFile(photo.public), save=False)
        row.thumbnail.save(f"{name}-t.jpg", ContentFile(photo.thumbnail), save=False)
        row.save()
        stored.append(row)
    return stored
