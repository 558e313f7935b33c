"""`civicgrid export cases`: to a file or stdout, masked unless `--as` a user whose role may see
personal data, recorded in the access audit."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.audit.models import AccessEvent, AccessKind

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[bytes, str]:
    out, err = io.BytesIO(), io.StringIO()

    class Stdout:  # the command writes bytes to stdout.buffer
        buffer = out

    import sys

    saved = sys.stdout
    sys.stdout = Stdout()
    try:
        call_command("export", "cases", *args, stderr=err)
    finally:
        sys.stdout = saved
    return out.getvalue(), err.getvalue()


def test_csv_to_a_file_masked_by_default(routed_world, reported, tmp_path):
    target = tmp_path / "cases.csv"
    _out, err = run("--since", "2026-11-01", "--until", "2026-12-31", "--out", str(target))
    assert "exported 4 rows" in err
    rows = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 4 and rows[0]["contact_phone"] == "138****5678"
    event = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert event.actor is None and event.detail["rows"] == 4 and event.detail["personal_data"] is False
    assert event.detail["filters"]["via"] == "command"


def test_geojson_to_stdout_for_a_dispatcher_unmasked(routed_world, reported):
    out, _err = run(
        "--since", "2026-12-01", "--until", "2026-12-01", "--format", "geojson", "--as", "13900000003"
    )
    features = json.loads(out)["features"]
    assert [f["id"] for f in features] == [reported[3].number]
    event = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert event.actor == routed_world.dispatcher and event.detail["personal_data"] is True


def test_as_a_handler_exports_only_their_departments_cases(routed_world, reported, tmp_path):
    target = tmp_path / "x.csv"
    _out, err = run(
        "--since", "2026-11-01", "--until", "2026-12-31", "--as", "13900000004", "--out", str(target)
    )
    assert "exported 0 rows" in err


def test_bad_input_is_a_clear_error(routed_world):
    with pytest.raises(CommandError, match="until must be later than since"):
        run("--since", "2026-12-01", "--until", "2026-11-01")
    with pytest.raises(CommandError, match="no active user"):
        run("--since", "2026-11-01", "--until", "2026-12-01", "--as", "10000000000")


def test_a_progress_bar_on_a_terminal_counts_every_row(routed_world, reported, tmp_path, monkeypatch, capsys):
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    call_command(
        "export", "cases", "--since", "2026-11-01", "--until", "2026-12-31", "--out", str(tmp_path / "p.csv")
    )
    bar = capsys.readouterr().err
    assert "4/4" in bar and "rows" in bar
