"""`civicgrid load_categories` loads the GB/T 47678.5-2026 catalogue shipped with civicgrid."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from civicgrid.taxonomy.models import Category


def load() -> str:
    out = io.StringIO()
    call_command("load_categories", stdout=out)
    return out.getvalue()


def test_the_catalogue_has_153_components_and_250_matters(db):
    assert "403 created, 0 updated" in load()
    assert Category.objects.filter(kind="component").count() == 153
    assert Category.objects.filter(kind="matter").count() == 250


def test_every_code_is_five_digits_with_its_major_class(db):
    load()
    for code, major_code, name, major_name in Category.objects.values_list(
        "code", "major_code", "name", "major_name"
    ):
        assert re.fullmatch(r"\d{5}", code), code
        assert major_code == code[:2], code
        assert name and major_name, code


def test_catalogue_rows_are_not_local(db):
    load()
    assert not Category.objects.filter(is_local=True).exists()


def test_known_entries(db):
    load()
    assert Category.objects.get(kind="component", code="01003").name == "雨水井盖"
    assert Category.objects.get(kind="component", code="01001").major_name == "市政公用设施"


def test_a_rerun_does_not_duplicate(db):
    load()
    ids = set(Category.objects.values_list("id", flat=True))
    assert "0 created, 403 updated" in load()
    assert Category.objects.count() == 403
    assert set(Category.objects.values_list("id", flat=True)) == ids


def test_a_rerun_keeps_a_city_s_local_changes_to_is_local(db):
    load()
    Category.objects.filter(code="01003", kind="component").update(is_local=True)
    load()
    assert Category.objects.get(code="01003", kind="component").is_local


def test_local_categories_from_a_file(db, tmp_path):
    path = tmp_path / "local.csv"
    path.write_text(
        "kind,code,major_code,major_name,name\n管理事项,09901,09,街面秩序类,共享单车乱停\n", encoding="utf-8"
    )
    call_command("load_categories", str(path), "--local", stdout=io.StringIO())
    assert Category.objects.get(code="09901").is_local


def test_a_missing_file_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("load_categories", str(tmp_path / "nope.csv"))
