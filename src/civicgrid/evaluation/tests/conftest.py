"""Fixtures of the evaluation tests: files in a temporary folder, a fixed clock, the small evaluation."""

from __future__ import annotations

import pytest
import time_machine

from civicgrid.evaluation.tests.helpers import build, local


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")
    return tmp_path


@pytest.fixture
def monday():
    """Frozen at Monday 2026-11-23 09:00 Asia/Shanghai (a workday); `monday.shift(...)` moves on."""
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def ev(world, categories, monday):
    return build(world, categories)
