"""A bad CSV file of routing rules or categories is refused with the line and reason; nothing changes."""

from __future__ import annotations

import pytest

from civicgrid.core.errors import DomainError
from civicgrid.taxonomy.csvio import categories_export, categories_import, routing_export, routing_import
from civicgrid.taxonomy.models import Category, RoutingRule

HEADER = "kind,category_code,major_code,area_code,department_code,active,note\n"
GOOD_ROW = "matter,,06,,CGJ,1,全市\n"


def rules_snapshot() -> tuple[int, str]:
    return RoutingRule.objects.count(), routing_export(
        RoutingRule.objects.select_related("category", "department")
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER + GOOD_ROW + "matter,,06,,NOPE,1,\n", "line 3: department 'NOPE' does not exist"),
        (HEADER + GOOD_ROW + "matter,06999,,,CGJ,1,\n", "line 3: category matter/06999 does not exist"),
        (HEADER + GOOD_ROW + "component,06013,,,CGJ,1,\n", "line 3: category component/06013 does not exist"),
        (HEADER + GOOD_ROW + "matter,,06,1506030,CGJ,1,\n", "line 3"),
        (HEADER + GOOD_ROW + "matter,,06,15060300a,CGJ,1,\n", "line 3"),
        (HEADER + GOOD_ROW + "matter,,006,,CGJ,1,\n", "line 3"),
        (HEADER + GOOD_ROW + "matter,06013,09,,CGJ,1,\n", "line 3"),
        (HEADER + GOOD_ROW + "event,,06,,CGJ,1,\n", "line 3: unknown kind 'event'"),
        (HEADER + GOOD_ROW + ",06013,,,CGJ,1,\n", "line 3: a category code needs its kind"),
        (
            "kind,category_code,major_code,area_code,active\n" + "matter,,06,,1\n",
            "missing columns: department_code",
        ),
        ("", "missing columns"),
    ],
    ids=[
        "unknown department",
        "unknown category",
        "category of the other kind",
        "area code of 7 digits",
        "area code with a letter",
        "major code of 3 digits",
        "major code not the category's",
        "unknown kind",
        "category without kind",
        "missing column",
        "empty file",
    ],
)
def test_a_bad_routing_file_is_refused_and_changes_nothing(routed_world, text, message):
    before = rules_snapshot()
    with pytest.raises(DomainError) as exc:
        routing_import(text)
    assert message in exc.value.message_en
    assert exc.value.code == "csv_invalid"
    assert exc.value.field == "file"
    assert exc.value.message_zh
    assert rules_snapshot() == before


def test_a_bad_routing_file_through_the_command_raises_command_error(routed_world, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "routing.csv"
    path.write_text(HEADER + "matter,,06,,NOPE,1,\n", encoding="utf-8")
    before = rules_snapshot()
    with pytest.raises(CommandError, match="NOPE"):
        call_command("routing_csv", "--load", str(path))
    assert rules_snapshot() == before


CAT_HEADER = "kind,code,major_code,major_name,name\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            CAT_HEADER + "管理事项,09099,09,街面秩序类,新事项\n" + "事件,09100,09,街面秩序类,坏类型\n",
            "line 3: unknown kind",
        ),
        (
            CAT_HEADER + "管理事项,09099,09,街面秩序类,新事项\n" + "管理事项,0910,09,街面秩序类,四位编码\n",
            "line 3: code must be 5 digits",
        ),
        (
            CAT_HEADER + "管理事项,09099,09,街面秩序类,新事项\n" + "管理事项,09100,09,街面秩序类,\n",
            "line 3: name is empty",
        ),
    ],
)
def test_a_bad_category_file_is_refused_and_changes_nothing(categories, text, message):
    before = categories_export(Category.objects.all())
    with pytest.raises(DomainError) as exc:
        categories_import(text)
    assert message in exc.value.message_en
    assert categories_export(Category.objects.all()) == before
