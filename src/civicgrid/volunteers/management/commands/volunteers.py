"""`civicgrid volunteers export --team ID | --street CODE --format csv|xlsx --out FILE`

Writes the approved volunteer service records of a team's activities, or of the activities in a street,
in the ministry's record fields (volunteers/export.py): CSV (UTF-8 with a BOM) or Excel. The export is
recorded in the access audit, as every export is.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.errors import DomainError
from civicgrid.grids.models import Street
from civicgrid.volunteers.export import FORMATS, records_export
from civicgrid.volunteers.models import Team


class Command(BaseCommand):
    help = (
        "Volunteer service records: volunteers export --team ID | --street CODE --format csv|xlsx --out FILE"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        export = sub.add_parser("export", help="the approved service records of a team or a street")
        scope = export.add_mutually_exclusive_group(required=True)
        scope.add_argument("--team", type=int, help="the team's id")
        scope.add_argument("--street", help="the street's 9-digit code")
        export.add_argument("--format", choices=FORMATS, default="csv")
        export.add_argument("--out", help="the file to write (default: stdout)")

    def handle(
        self, *args, what: str, team: int | None, street: str | None, format: str, out: str | None, **options
    ):
        team_obj = street_obj = None
        if team is not None:
            team_obj = Team.objects.filter(pk=team).first()
            if team_obj is None:
                raise CommandError(f"no team with the id {team}")
        else:
            street_obj = Street.objects.filter(code=street).first()
            if street_obj is None:
                raise CommandError(f"no street with the code {street}")
        try:
            result = records_export(team=team_obj, street=street_obj, fmt=format, via="command")
        except DomainError as exc:
            raise CommandError(exc.message_en) from exc
        if out:
            with open(out, "wb") as target:
                target.write(result.content)
        else:
            sys.stdout.buffer.write(result.content)
            sys.stdout.flush()
        self.stderr.write(f"exported {result.rows} records ({format}) to {out or 'stdout'}")
