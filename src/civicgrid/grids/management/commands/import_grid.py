import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.errors import DomainError
from civicgrid.grids.coords import CoordSystem
from civicgrid.grids.importer import GridImportError, import_geojson


class Command(BaseCommand):
    help = "Import districts, streets, communities and unit grid cells from a GeoJSON FeatureCollection."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--crs",
            default=CoordSystem.WGS84,
            choices=CoordSystem.values,
            help="coordinate system of the file (converted to WGS-84)",
        )

    def handle(self, *args, path: Path, crs: str, **options):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            result = import_geojson(data, crs=crs)
        except GridImportError as err:
            for problem in err.problems:
                self.stderr.write(str(problem))
            raise CommandError(err.message_en) from err
        except DomainError as err:
            raise CommandError(err.message_en) from err
        self.stdout.write(f"created {result.created}, updated {result.updated}")
