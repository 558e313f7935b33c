"""Periodic tasks (定时任务): the functions `civicgrid worker` calls on every pass, every few seconds.

Each app registers its own in its AppConfig.ready(), as apps register their reactions to moves in
`cases.hooks`: `periodic.register("cases.scan_overdue", scan_overdue)`. Core knows none of them,
and the worker knows only this registry. A task takes no arguments, owns its transactions and must
be cheap and idempotent (it runs again a few seconds later, possibly in a second worker).

CIVICGRID_PERIODIC_TASKS_OFF names registered tasks a worker skips (e.g. a worker that only
delivers notifications); a name that is not registered is a configuration error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("civicgrid.worker")

_tasks: dict[str, Callable[[], object]] = {}
# The last error of each failing task: its traceback is logged once, then one line per pass.
_last_errors: dict[str, str] = {}


def register(name: str, task: Callable[[], object]) -> None:
    """Run `task()` on every pass of the worker, under `name` (`<app>.<function>`)."""
    _tasks[name] = task


def registered() -> dict[str, Callable[[], object]]:
    """Every registered task by name, in the order the apps registered them."""
    return dict(_tasks)


def tasks_to_run() -> list[tuple[str, Callable[[], object]]]:
    off = list(getattr(settings, "CIVICGRID_PERIODIC_TASKS_OFF", []))
    unknown = [name for name in off if name not in _tasks]
    if unknown:
        raise ImproperlyConfigured(
            f"CIVICGRID_PERIODIC_TASKS_OFF: no periodic task named {unknown[0]!r} "
            f"(registered: {', '.join(_tasks) or 'none'})"
        )
    return [(name, task) for name, task in _tasks.items() if name not in off]


def run_all() -> None:
    """Call every registered task not switched off, in order.

    A task that raises is logged and does not stop the others (nor the worker's delivery).
    """
    for name, task in tasks_to_run():
        try:
            task()
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            if _last_errors.get(name) == message:
                logger.warning("periodic task %s failed again: %s", name, message)
            else:
                logger.exception("periodic task %s failed", name)
            _last_errors[name] = message
        else:
            _last_errors.pop(name, None)
