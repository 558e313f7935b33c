import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.errors import DomainError
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
            count = routing_import(load.read_text(encoding="utf-8"))
        except (OSError, DomainError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"routing rules loaded: {count}")
