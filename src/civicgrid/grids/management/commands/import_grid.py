import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.errors import DomainError
from civicgrid.grids.boundaries import import_boundaries, import_shapefile
from civicgrid.grids.coords import CoordSystem
from civicgrid.grids.importer import GridImportError


class Command(BaseCommand):
    help = (
        "Import districts, streets, communities and unit grid cells from GeoJSON (a FeatureCollection or "
        "a map service's array of Features with adcode/name/level) or a zipped Shapefile (.zip with "
        ".shp/.dbf/.prj; projected CGCS2000 Gauss-Krüger zones are unprojected)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--crs",
            default=CoordSystem.WGS84,
            choices=CoordSystem.values,
            help="coordinate system of a GeoJSON or geographic Shapefile (map services: gcj02); "
            "converted to WGS-84",
        )

    def handle(self, *args, path: Path, crs: str, **options):
        try:
            if path.suffix.lower() == ".zip":
                raw = path.read_bytes()
            else:
                data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            if path.suffix.lower() == ".zip":
                result = import_shapefile(raw, crs=crs)
            else:
                result = import_boundaries(data, crs=crs)
        except GridImportError as err:
            for problem in err.problems:
                self.stderr.write(str(problem))
            raise CommandError(err.message_en) from err
        except DomainError as err:
            raise CommandError(err.message_en) from err
        self.stdout.write(f"created {result.created}, updated {result.updated}")
