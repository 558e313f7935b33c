"""civicgrid gazetteer_import FILE: import road names, intersections, places and communities
(CSV with kind,name,lat,lon[,category,address,road_class], or GeoJSON). All rows or none."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.errors import DomainError
from civicgrid.gazetteer.services import places_import


class Command(BaseCommand):
    help = "Import the gazetteer (地名地址库) from a CSV or GeoJSON file; a bad row refuses the file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            created, updated = places_import(data=data, filename=file.name)
        except DomainError as exc:
            raise CommandError(f"{exc.message_en} / {exc.message_zh}") from exc
        self.stdout.write(self.style.SUCCESS(f"Gazetteer: {created} added, {updated} updated"))
