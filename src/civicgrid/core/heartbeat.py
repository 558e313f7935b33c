"""Worker heartbeats (心跳): each `civicgrid worker` records when it last finished a pass, so the
health endpoint and the metrics can tell a stopped worker (no red lights, no notifications) from a
quiet one."""

from __future__ import annotations

import os
import socket

from civicgrid.core import clock
from civicgrid.core.models import WorkerHeartbeat


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat_beat(*, name: str) -> None:
    """Record that the worker `name` finished a pass now (one UPDATE, or an INSERT the first time)."""
    now = clock.now()
    if not WorkerHeartbeat.objects.filter(name=name).update(beat_at=now):
        WorkerHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": now, "started_at": now})


def heartbeat_stop(*, name: str) -> None:
    """A worker that stops cleanly leaves no heartbeat behind to go stale."""
    WorkerHeartbeat.objects.filter(name=name).delete()


def latest_beat_age_s() -> float | None:
    """Seconds since the most recent pass of any worker; None if no worker ever beat."""
    latest = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    return None if latest is None else max(0.0, (clock.now() - latest).total_seconds())
