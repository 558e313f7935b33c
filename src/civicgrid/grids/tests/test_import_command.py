"""`civicgrid import_grid FILE`: a good file is imported, a bad one fails the command."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from civicgrid.grids.models import Cell
from civicgrid.grids.tests.geojson import COMMUNITY, feature, good_collection, with_feature


def test_a_good_file_is_imported(db, tmp_path):
    path = tmp_path / "grid.geojson"
    path.write_text(json.dumps(good_collection(), ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("import_grid", str(path), stdout=out)
    assert Cell.objects.count() == 2
    assert "created" in out.getvalue()


def test_a_bad_file_raises_command_error_and_lists_the_problems(db, tmp_path):
    bad = with_feature(
        feature("cell", COMMUNITY + "009", "一个点", {"type": "Point", "coordinates": [109.9, 39.8]})
    )
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(bad), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_grid", str(path), stderr=err)
    assert "feature #5" in err.getvalue()
    assert Cell.objects.count() == 0


def test_a_file_that_is_not_json_raises_command_error(db, tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_grid", str(path))


def test_a_missing_file_raises_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_grid", str(tmp_path / "nope.geojson"))
