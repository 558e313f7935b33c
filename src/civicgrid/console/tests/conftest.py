"""Fixtures of the console tests: photo storage in a temporary folder, the test city with routing."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage

from civicgrid.cases.models import CasePhoto


@pytest.fixture(autouse=True)
def _photo_storage(settings, tmp_path, monkeypatch):
    """Photos of a test land in its temporary folder, never in var/ (originals: private storage)."""
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")
    private = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    monkeypatch.setattr(CasePhoto._meta.get_field("original"), "storage", private)
    return tmp_path


@pytest.fixture
def city(routed_world, categories):
    """The test city (civicgrid/testing.py) with its categories and routing rules."""
    routed_world.categories = categories
    return routed_world
