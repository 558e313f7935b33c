import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve the platform with gunicorn (production WSGI server), after collecting static files; "
        "--with-worker also runs `civicgrid worker` (notifications, red lights, statistics rollups)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CIVICGRID_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--no-collectstatic", action="store_true")
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="run the background worker beside the server, stopped with it (one-machine setups "
            "and the demo; in production run `civicgrid worker` as its own service)",
        )

    def handle(self, *args, bind: str, workers: int, no_collectstatic: bool, with_worker: bool, **options):
        if not no_collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        metrics_dir = _fresh_metrics_dir()
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
        argv = [
            gunicorn,
            "civicgrid.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--config",
            "python:civicgrid.core.gunicorn_conf",
        ]
        if os.path.isdir("/dev/shm"):
            # Workers touch a heartbeat file on every request; on a disk-backed /tmp each touch is a
            # journalled inode change (gunicorn's own advice: keep it in memory).
            argv += ["--worker-tmp-dir", "/dev/shm"]
        # The workers share their request metrics through files here (civicgrid/monitoring.py).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        self.stdout.write(
            f"serving on http://{bind}/ with {workers} gunicorn workers"
            + (" and the background worker" if with_worker else "")
        )
        self.stdout.flush()
        if not with_worker:
            os.execv(gunicorn, argv)
        civicgrid = [sys.executable, "-m", "civicgrid", "worker"]
        children = [subprocess.Popen(civicgrid), subprocess.Popen(argv)]

        def stop(signum, frame):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stop)
        # Whichever ends first (a crash, or a signal), the other follows: never a server without its worker.
        try:
            os.wait()
        except ChildProcessError:
            pass
        stop(None, None)
        for child in children:
            child.wait()


def _fresh_metrics_dir() -> Path:
    """An empty folder for this server's metric files: counts of an earlier server must not add up."""
    path = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or Path(settings.VAR_DIR) / "metrics")
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
