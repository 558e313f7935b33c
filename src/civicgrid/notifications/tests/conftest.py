from __future__ import annotations

import pytest

from civicgrid.core import periodic
from civicgrid.notifications.tests import fakes


@pytest.fixture(autouse=True)
def _no_other_apps_tasks(monkeypatch):
    """The worker here runs only the periodic tasks a test registers, not the project's (e.g. the overdue scan)."""
    monkeypatch.setattr(periodic, "_tasks", {})
    monkeypatch.setattr(periodic, "_last_errors", {})


@pytest.fixture
def flaky(settings):
    """Deliver through FlakySender only; `flaky.reset(failures=n)` makes the next n sends fail."""
    settings.CIVICGRID_NOTIFICATION_SENDERS = ["civicgrid.notifications.tests.fakes.FlakySender"]
    fakes.FlakySender.reset()
    yield fakes.FlakySender
    fakes.FlakySender.reset()


@pytest.fixture
def tasks(settings):
    fakes.task_calls.clear()
    yield fakes
    fakes.task_calls.clear()
