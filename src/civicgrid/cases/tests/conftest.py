"""Fixtures of the case-loop tests: photo storage in a temporary folder, a fixed clock, shortcuts."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.storage import FileSystemStorage

from civicgrid.cases.models import CasePhoto
from civicgrid.cases.tests.helpers import local


@pytest.fixture(autouse=True)
def _photo_storage(settings, tmp_path, monkeypatch):
    """Public copies under a temporary MEDIA_ROOT, originals in a temporary private folder.

    The private storage is resolved once when the model is loaded, so the field's storage is
    replaced directly (the files of one test never land in var/ or in another test's folder).
    """
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")
    private = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    monkeypatch.setattr(CasePhoto._meta.get_field("original"), "storage", private)
    return tmp_path


@pytest.fixture
def monday():
    """Frozen at Monday 2026-11-23 09:00 Asia/Shanghai (a workday); `monday.shift(...)` moves on."""
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as traveller:
        yield traveller
