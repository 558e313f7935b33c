"""Fixtures of the H5 page tests: photos in a temporary folder, SMS captured in memory."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage

from civicgrid.accounts.sms import MemorySmsSender
from civicgrid.cases.models import CasePhoto


@pytest.fixture(autouse=True)
def _photo_storage(settings, tmp_path, monkeypatch):
    """Public copies under a temporary MEDIA_ROOT, originals in a temporary private folder."""
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")
    private = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    monkeypatch.setattr(CasePhoto._meta.get_field("original"), "storage", private)
    return tmp_path


@pytest.fixture
def sms(settings):
    """Login codes go to memory: `sms.code_for(phone)` is the last code sent to that phone."""
    settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.sms.MemorySmsSender"
    MemorySmsSender.outbox.clear()
    yield MemorySmsSender
    MemorySmsSender.outbox.clear()
