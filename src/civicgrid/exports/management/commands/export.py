"""`civicgrid export cases --since 2026-01-01 --until 2026-12-31 --format csv|geojson [--out FILE] [--as PHONE]`

Writes every case reported in the period (no cap on its length) to FILE or stdout, streamed: the
rules are in exports/services.py. `--as PHONE`: the export is for that user — their visible cases,
masked by their role; without it, every case with the personal columns masked. A progress bar goes
to stderr when it is a terminal; the last line on stderr says how many rows were written. The
export is recorded in the access audit.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from civicgrid.accounts.models import User
from civicgrid.core.errors import DomainError
from civicgrid.exports.services import FORMATS, CaseExport, export_count, export_query


class Command(BaseCommand):
    help = "Export cases as CSV or GeoJSON (streamed): export cases --since DATE --until DATE"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        cases = sub.add_parser("cases", help="the cases reported in a period")
        cases.add_argument("--since", required=True, help="YYYY-MM-DD (inclusive) or an ISO date-time")
        cases.add_argument(
            "--until", required=True, help="YYYY-MM-DD (that day included) or an ISO date-time"
        )
        cases.add_argument("--format", choices=FORMATS, default="csv")
        cases.add_argument("--out", help="the file to write (default: stdout)")
        cases.add_argument("--as", dest="as_phone", help="the phone of the user the export is for")
        cases.add_argument("--category")
        cases.add_argument("--department")
        cases.add_argument("--street")
        cases.add_argument("--status", help="one status or several, separated by commas")

    def handle(self, *args, what, since, until, format, out, as_phone, **options):
        viewer = None
        if as_phone:
            viewer = User.objects.filter(phone=as_phone, is_active=True).first()
            if viewer is None:
                raise CommandError(f"no active user with the phone {as_phone}")
        try:
            query = export_query(
                since=since,
                until=until,
                category=options.get("category"),
                department=options.get("department"),
                street=options.get("street"),
                status=options.get("status"),
            )
            export = CaseExport(viewer=viewer, query=query, fmt=format, via="command")
        except DomainError as exc:
            raise CommandError(exc.message_en) from exc
        progress = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            progress = tqdm(total=export_count(viewer, query), unit="rows", file=sys.stderr)
        target = open(out, "wb") if out else sys.stdout.buffer  # noqa: SIM115 - closed below
        try:
            done = 0
            for chunk in export:
                target.write(chunk)
                if progress is not None:
                    progress.update(export.rows - done)
                    done = export.rows
        finally:
            if out:
                target.close()
            else:
                target.flush()
            if progress is not None:
                progress.close()
        self.stderr.write(f"exported {export.rows} rows ({format}) to {out or 'stdout'}")
