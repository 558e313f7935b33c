import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.errors import DomainError
from civicgrid.core.text import csv_decode
from civicgrid.taxonomy.csvio import routing_export, routing_import
from civicgrid.taxonomy.models import RoutingRule


class Command(BaseCommand):
    help = "Export (default) or import (--load FILE) the routing rules as CSV."

    def add_arguments(self, parser):
        parser.add_argument("--load", type=Path, help="replace the rules with this CSV")

    def handle(self, *args, load: Path | None, **options):
        if load is None:
            sys.stdout.write(routing_export(RoutingRule.objects.select_related("category", "department")))
            return
        try:
            count = routing_import(csv_decode(load.read_bytes(), field="--load"))
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except DomainError as exc:
            raise CommandError(exc.message_zh + "\n" + exc.message_en) from exc
        self.stdout.write(f"routing rules loaded: {count}")
