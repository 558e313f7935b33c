"""Test doubles plugged in through the settings: senders that fail on demand, worker tasks."""

from __future__ import annotations

from civicgrid.notifications.models import Notification


class FlakySender:
    """Fails while `failures_left` > 0, then records what it sent (state on the class: the
    worker builds a fresh instance from the settings on each pass)."""

    name = "flaky"
    failures_left = 0
    sent: list[int] = []

    @classmethod
    def reset(cls, failures: int = 0) -> None:
        cls.failures_left = failures
        cls.sent = []

    def send(self, notification: Notification) -> None:
        if FlakySender.failures_left > 0:
            FlakySender.failures_left -= 1
            raise ConnectionError("gateway unreachable")
        FlakySender.sent.append(notification.pk)


class RecordingSender:
    name = "recording"
    sent: list[int] = []

    def send(self, notification: Notification) -> None:
        RecordingSender.sent.append(notification.pk)


task_calls: list[str] = []


def record_task() -> None:
    task_calls.append("record")


def failing_task() -> None:
    task_calls.append("failing")
    raise RuntimeError("scanner broke")
