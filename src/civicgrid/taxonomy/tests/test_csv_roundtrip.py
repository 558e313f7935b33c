"""CSV export → import gives back the same rules and categories."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.core.management import call_command

from civicgrid.taxonomy.csvio import categories_export, categories_import, routing_export, routing_import
from civicgrid.taxonomy.models import Category, RoutingRule
from civicgrid.taxonomy.routing import route_case

DATA = Path(__file__).parent / "data"


def rule_rows() -> list[tuple]:
    """The rules as they route: a category rule's kind is its category's kind whether written or not."""
    rows = []
    for r in RoutingRule.objects.select_related("category", "department"):
        kind = r.kind or (r.category.kind if r.category_id else "")
        rows.append(
            (
                kind,
                r.category.code if r.category_id else "",
                r.major_code,
                r.area_code,
                r.department.code,
                r.active,
                r.note,
            )
        )
    return sorted(rows)


def decisions(categories) -> list[str | None]:
    cells = ["", "150603001001001", "150603001001002", "150603001002002", "150603002001001"]
    return [getattr(route_case(c, cell), "code", None) for c in categories.values() for cell in cells]


def test_routing_export_then_import_preserves_the_rules(world, categories):
    routing_import((DATA / "routing_rules.csv").read_text(encoding="utf-8"))
    before = rule_rows()
    text = routing_export(RoutingRule.objects.select_related("category", "department"))
    assert len(list(csv.DictReader(io.StringIO(text)))) == len(before)

    RoutingRule.objects.all().delete()
    assert routing_import(text) == len(before)
    assert rule_rows() == before
    assert routing_export(RoutingRule.objects.select_related("category", "department")) == text


def test_import_replaces_the_rule_table(routed_world):
    text = "kind,category_code,major_code,area_code,department_code,active,note\nmatter,,06,,CGJ,1,唯一\n"
    routing_import(text)
    assert rule_rows() == [("matter", "", "06", "", "CGJ", True, "唯一")]


def test_import_with_a_byte_order_mark(world, categories):
    text = "\ufeffkind,category_code,major_code,area_code,department_code\nmatter,06013,,,ZJJ-SZ\n"
    assert routing_import(text) == 1
    assert RoutingRule.objects.get().active  # "active" defaults to yes


def test_rules_without_a_kind_survive_the_round_trip(routed_world, categories):
    # load_test_routing (like the admin) creates category rules without a kind.
    assert RoutingRule.objects.filter(category__isnull=False, kind="").exists()
    before, routed = rule_rows(), decisions(categories)
    text = routing_export(RoutingRule.objects.select_related("category", "department"))
    routing_import(text)
    assert rule_rows() == before
    assert decisions(categories) == routed


def test_the_routing_command_exports_and_loads(routed_world, categories, tmp_path, capsys):
    before, routed = rule_rows(), decisions(categories)
    call_command("routing_csv")
    exported = capsys.readouterr().out
    path = tmp_path / "routing.csv"
    path.write_text(exported, encoding="utf-8")
    RoutingRule.objects.all().delete()
    call_command("routing_csv", "--load", str(path), stdout=io.StringIO())
    assert rule_rows() == before
    assert decisions(categories) == routed


def test_categories_export_then_import_preserves_them(categories):
    fields = (
        "kind",
        "code",
        "major_code",
        "major_name",
        "name",
        "is_local",
        "default_urgency",
        "auto_dispatch",
    )
    before = sorted(Category.objects.values_list(*fields))
    text = categories_export(Category.objects.all())
    Category.objects.update(
        name="改坏了", major_name="改坏了", is_local=True, default_urgency="urgent", auto_dispatch=True
    )
    assert categories_import(text) == (0, 5)
    assert sorted(Category.objects.values_list(*fields)) == before
    assert Category.objects.count() == 5


def test_categories_import_creates_the_missing_ones(categories):
    text = categories_export(Category.objects.filter(code="06013"))
    text = text.replace("06013", "06099").replace("道路破损", "新增事项")
    assert categories_import(text, is_local=True) == (1, 0)
    new = Category.objects.get(kind="matter", code="06099")
    assert (new.major_code, new.major_name, new.name) == ("06", "市容环境类", "新增事项")
    # the exported is_local column (0) wins over the default for new rows
    assert not new.is_local
