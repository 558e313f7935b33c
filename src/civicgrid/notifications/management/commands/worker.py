"""`civicgrid worker`: on every pass, the periodic tasks the apps registered (core.periodic), then one
batch of the notification outbox; no broker.

The outbox's services only deliver; this process is where the two meet, and it knows the other
apps' tasks only through the registry (cases' red lights, points' appeal windows, analytics'
rollups register themselves in their AppConfig.ready()).
"""

from __future__ import annotations

import logging
import signal
import threading

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from civicgrid.core import heartbeat, periodic
from civicgrid.notifications.services import BATCH_SIZE, run_once

logger = logging.getLogger("civicgrid.notifications")


def one_pass(should_stop=None, *, name: str | None = None) -> int:
    """The periodic tasks, then one batch of due notifications (so what a task queues, e.g. a red-light
    alert, goes out in the same pass), then the worker's heartbeat; returns how many notifications it
    tried to deliver."""
    periodic.run_all()
    done = run_once(should_stop=should_stop)
    heartbeat.heartbeat_beat(name=name or heartbeat.worker_name())
    return done


class Command(BaseCommand):
    help = (
        "Run the periodic tasks and deliver queued notifications every --interval seconds "
        "until SIGTERM/SIGINT; --once does one pass and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between passes (default 2)")

    def handle(self, *args, once: bool, interval: float, **options):
        if once:
            done = one_pass()
            self.stdout.write(f"processed {done} notification(s)")
            return

        stop = threading.Event()
        name = heartbeat.worker_name()

        def on_signal(signum, frame):
            logger.info(
                "worker: %s received, stopping after the current notification", signal.Signals(signum).name
            )
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"worker started (every {interval:g} s); stop with SIGTERM or Ctrl-C")
        self.stdout.flush()
        try:
            while not stop.is_set():
                # A long-lived process must drop connections the database closed or that outlived
                # CONN_MAX_AGE, as a request would at its start.
                close_old_connections()
                try:
                    done = one_pass(should_stop=stop.is_set, name=name)
                except ImproperlyConfigured:
                    raise  # a wrong setting does not fix itself: fail loudly
                except Exception:  # a locked or unreachable database: log, wait, try again
                    logger.exception("worker pass failed")
                    done = 0
                if done:
                    logger.info("worker: processed %s notification(s)", done)
                # A full batch means more may be due: go again at once instead of sleeping.
                if done < BATCH_SIZE:
                    stop.wait(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            try:
                heartbeat.heartbeat_stop(name=name)
            except Exception:  # the database is gone: the heartbeat goes stale, as it should
                logger.warning("worker: could not remove its heartbeat", exc_info=True)
            close_old_connections()
        self.stdout.write("worker stopped")
