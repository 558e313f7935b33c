from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.backup import BackupError, backup_create


class Command(BaseCommand):
    requires_system_checks = []  # a backup runs beside the server: its checks are the server's business

    help = (
        "Back up the database (SQLite online backup / pg_dump --format=custom), consistent while the "
        "server writes, and the media and private files, with a manifest of SHA-256 checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--to",
            type=Path,
            default=None,
            help="the folder the backup directory is written into (default: VAR_DIR/backups)",
        )

    def handle(self, *args, to: Path | None, **options):
        try:
            result = backup_create(to=to or Path(settings.VAR_DIR) / "backups")
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"backup of the {result.vendor} database and {result.files - 1} files "
            f"({result.bytes / 1e6:.1f} MB) written to"
        )
        self.stdout.write(str(result.path))
