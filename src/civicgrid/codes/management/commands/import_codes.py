from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.codes.choices import CodeKind
from civicgrid.codes.csvio import codes_import
from civicgrid.core.errors import DomainError
from civicgrid.core.text import csv_decode


class Command(BaseCommand):
    help = "Create entities and their QR codes from a CSV of one kind (all lines or none): import_codes KIND FILE"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=CodeKind.values)
        parser.add_argument("file", type=Path)

    def handle(self, *args, kind: str, file: Path, **options):
        try:
            codes = codes_import(kind=kind, text=csv_decode(file.read_bytes(), field="FILE"), actor=None)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except DomainError as exc:
            raise CommandError(exc.message_zh + "\n" + exc.message_en) from exc
        for code in codes:
            self.stdout.write(f"{code.pk}\t{code.kind}\t{code.url}\t{code.label}")
        self.stdout.write(f"codes created: {len(codes)}")
