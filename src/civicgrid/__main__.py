"""The `civicgrid` console command: manage.py for an installed platform.

`civicgrid migrate`, `civicgrid demo`, `civicgrid serve`, `civicgrid worker` … are Django
management commands; `serve` runs gunicorn with the production settings.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The commands that create the SQLite database (demo migrates first) or put one in place (restore).
CREATES_DATABASE = {"migrate", "demo", "restore"}
# Commands that run without a database; they never create one either.
NEEDS_NO_DATABASE = {
    "help",
    "version",
    "check",  # the system checks (keys, settings); `check --database` still finds a missing one
    "makemigrations",
    "makemessages",
    "compilemessages",
    "collectstatic",
    "test",
}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    refuse_missing_database(argv)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["civicgrid", *argv])


def refuse_missing_database(argv: list[str]) -> None:
    """Stop a command that would run against a missing SQLite database, instead of creating an empty one."""
    command = argv[0] if argv and not argv[0].startswith("-") else "help"
    if command in CREATES_DATABASE:
        return
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "civicgrid.core.sqlite":
        return
    from civicgrid.core.sqlite import base

    base.MAY_CREATE = False
    if command in NEEDS_NO_DATABASE or "-h" in argv or "--help" in argv:
        return
    problem = base.missing_database(Path(database["NAME"]))
    if problem:
        sys.stderr.write(f"civicgrid {command}: {problem}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
