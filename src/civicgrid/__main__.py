"""The `civicgrid` console command: manage.py for an installed platform.

`civicgrid migrate`, `civicgrid demo`, `civicgrid serve`, `civicgrid worker` … are Django
management commands; `serve` runs gunicorn with the production settings.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["civicgrid", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
