from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.errors import DomainError
from civicgrid.core.text import csv_decode
from civicgrid.taxonomy.csvio import categories_import

DEFAULT = Path(__file__).resolve().parents[2] / "data" / "gbt47678_5_2026.csv"


class Command(BaseCommand):
    help = "Load categories from CSV (default: the GB/T 47678.5-2026 catalogue shipped with civicgrid)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
        parser.add_argument("--local", action="store_true", help="mark new rows as local additions")

    def handle(self, *args, path: Path, local: bool, **options):
        try:
            created, updated = categories_import(csv_decode(path.read_bytes(), field="path"), is_local=local)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except DomainError as exc:
            raise CommandError(exc.message_zh + "\n" + exc.message_en) from exc
        self.stdout.write(f"categories: {created} created, {updated} updated")
