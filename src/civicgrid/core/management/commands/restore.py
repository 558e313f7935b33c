from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    requires_system_checks = []  # they read the database, which may be empty or absent here

    help = (
        "Restore a backup written by `civicgrid backup`: checks every checksum first, then restores the "
        "database (into the configured SQLite path / PostgreSQL database) and the media and private files. "
        "Stop the server and the worker first."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="the backup directory (civicgrid-backup-…)")
        parser.add_argument(
            "--into",
            type=Path,
            default=None,
            help="restore the SQLite database and the files under this folder (DIR/<database name>, "
            "DIR/media, DIR/private) instead of the configured places; PostgreSQL still restores "
            "into the configured database",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that has tables and write into folders that are not empty",
        )

    def handle(self, *args, backup: Path, into: Path | None, force: bool, **options):
        try:
            result = backup_restore(source=backup, into=into, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"restored the {result.vendor} database into {result.database} and {result.files} files; "
            "run `civicgrid migrate` if this version of civicgrid has newer migrations"
        )
