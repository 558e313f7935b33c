from __future__ import annotations

import pytest

from civicgrid.notifications import services
from civicgrid.notifications.tests import fakes


@pytest.fixture(autouse=True)
def _no_other_apps_tasks(settings):
    """run_once here runs only the tasks a test names, not the project's (e.g. the overdue scan)."""
    settings.CIVICGRID_WORKER_TASKS = []
    services._last_task_errors.clear()
    yield
    services._last_task_errors.clear()


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
