"""docs/ARCHITECTURE.md stays one screen, and every file it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import civicgrid

PACKAGE = Path(civicgrid.__file__).parent
REPO = PACKAGE.parent.parent
ARCHITECTURE = REPO / "docs" / "ARCHITECTURE.md"


def test_the_architecture_fits_one_screen():
    lines = ARCHITECTURE.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 60
    assert [n for n, line in enumerate(lines, 1) if len(line) > 120] == []


def test_every_file_the_architecture_names_exists():
    named = {
        m
        for m in re.findall(r"`([\w./-]+)`", ARCHITECTURE.read_text(encoding="utf-8"))
        if re.search(r"\.(py|toml|csv|md)$|/tests$", m) and not m.startswith("/")
    }
    assert len(named) > 20  # the table names its places

    def exists(name: str) -> bool:
        if "/" not in name:  # a file named beside another, e.g. a second test file of the same app
            return (REPO / name).exists() or any(PACKAGE.rglob(name))
        return (PACKAGE / name).exists() or (REPO / name).exists()

    assert sorted(n for n in named if not exists(n)) == []
