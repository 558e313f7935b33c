"""`civicgrid worker`: deliver queued notifications and run the periodic tasks, without a broker."""

from __future__ import annotations

import logging
import signal
import threading

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from civicgrid.notifications.services import BATCH_SIZE, run_once

logger = logging.getLogger("civicgrid.notifications")


class Command(BaseCommand):
    help = (
        "Deliver queued notifications and run CIVICGRID_WORKER_TASKS every --interval seconds "
        "until SIGTERM/SIGINT; --once does one pass and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between passes (default 2)")

    def handle(self, *args, once: bool, interval: float, **options):
        if once:
            done = run_once()
            self.stdout.write(f"processed {done} notification(s)")
            return

        stop = threading.Event()

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
                    done = run_once(should_stop=stop.is_set)
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
            close_old_connections()
        self.stdout.write("worker stopped")
