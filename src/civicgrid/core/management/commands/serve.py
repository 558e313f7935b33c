import os
import shutil
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform with gunicorn (production WSGI server), after collecting static files."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CIVICGRID_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args, bind: str, workers: int, no_collectstatic: bool, **options):
        if not no_collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
        argv = [gunicorn, "civicgrid.wsgi:application", "--bind", bind, "--workers", str(workers),
                "--access-logfile", "-", "--timeout", "60", "--graceful-timeout", "10"]
        self.stdout.write(f"serving on http://{bind}/ with {workers} gunicorn workers")
        self.stdout.flush()
        os.execv(gunicorn, argv)
