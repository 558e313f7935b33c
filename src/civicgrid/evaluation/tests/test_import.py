"""Import and export of the indicator system and of sites: all rows or none, each bad row named."""

from __future__ import annotations

import csv
import io

import pytest

from civicgrid.evaluation import services
from civicgrid.evaluation.indicators import INDICATOR_COLUMNS, SITE_COLUMNS
from civicgrid.evaluation.models import Content, Item, Site, Standard
from civicgrid.evaluation.tests.helpers import build, site_types

pytestmark = pytest.mark.django_db


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8-sig")


GOOD = [
    [
        "B",
        "公共秩序",
        "0",
        "B1",
        "交通秩序",
        "B1.1",
        "机动车礼让行人",
        "2",
        "field",
        "road",
        "per_failure",
        "0.5",
        "09006",
    ],
    [
        "B",
        "公共秩序",
        "0",
        "B1",
        "交通秩序",
        "B1.2",
        "非机动车有序停放",
        "1.5",
        "field",
        "road|market",
        "all_or_nothing",
        "",
        "",
    ],
    [
        "T",
        "特色指标",
        "1",
        "T1",
        "志愿服务",
        "T1.1",
        "志愿服务站点建设",
        "3",
        "material",
        "",
        "proportional",
        "",
        "",
    ],
]


def test_a_good_file_adds_items_contents_and_standards(world, categories):
    site_types()
    edition = services.edition_create(name="导入", year=2026, actor=world.admin)
    result = services.indicators_import(
        edition=edition, file=csv_bytes(INDICATOR_COLUMNS, GOOD), actor=world.admin
    )
    assert result.ok and result.created == 3
    assert list(Item.objects.filter(edition=edition).values_list("code", "local")) == [
        ("B", False),
        ("T", True),
    ]
    b12 = Standard.objects.get(content__item__edition=edition, code="B1.2")
    assert b12.site_types == ["market", "road"] and b12.deduction is None
    assert Standard.objects.get(content__item__edition=edition, code="B1.1").category == categories["09006"]


def test_one_bad_row_writes_nothing_and_every_bad_row_is_listed(world, categories):
    site_types()
    edition = services.edition_create(name="导入", year=2026, actor=world.admin)
    bad = [
        *GOOD,
        [
            "B",
            "公共秩序",
            "0",
            "B1",
            "交通秩序",
            "B1.3",
            "占道经营",
            "-1",
            "field",
            "road",
            "all_or_nothing",
            "",
            "",
        ],
        ["B", "公共秩序", "0", "B1", "交通秩序", "B1.4", "x", "1", "field", "moon", "all_or_nothing", "", ""],
        [
            "B",
            "公共秩序",
            "0",
            "B1",
            "交通秩序",
            "B1.5",
            "x",
            "1",
            "field",
            "road",
            "all_or_nothing",
            "",
            "99999",
        ],
        [
            "B",
            "公共秩序",
            "0",
            "B1",
            "交通秩序",
            "B1.1",
            "重复",
            "1",
            "field",
            "road",
            "all_or_nothing",
            "",
            "",
        ],
    ]
    result = services.indicators_import(
        edition=edition, file=csv_bytes(INDICATOR_COLUMNS, bad), actor=world.admin
    )
    assert not result.ok
    assert [(e.line, e.field) for e in result.errors] == [
        (5, "points"),
        (6, "site_types"),
        (7, "category"),
        (8, "standard_code"),
    ]
    assert result.created == 0
    assert not Item.objects.filter(edition=edition).exists()
    assert not Content.objects.filter(item__edition=edition).exists()
    assert not Standard.objects.filter(content__item__edition=edition).exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_edition(world, categories, fmt):
    ev = build(world, categories, draw=False)
    data = services.indicators_export(edition=ev.edition, fmt=fmt)
    again = services.edition_create(name="再导入", year=2027, actor=world.admin)
    result = services.indicators_import(edition=again, file=data, fmt=fmt, actor=world.admin)
    assert result.ok, result.errors
    fields = (
        "content__item__code",
        "content__code",
        "code",
        "text",
        "points",
        "method",
        "rule",
        "deduction",
        "site_types",
        "category_id",
    )

    def standards(edition):
        return list(
            Standard.objects.filter(content__item__edition=edition).order_by("code").values_list(*fields)
        )

    assert standards(again) == standards(ev.edition)
    # Importing the same file again updates in place: nothing is duplicated.
    result = services.indicators_import(edition=again, file=data, fmt=fmt, actor=world.admin)
    assert result.ok and result.created == 0 and result.updated == 3
    assert standards(again) == standards(ev.edition)


def test_a_file_without_the_columns_is_refused(world):
    edition = services.edition_create(name="导入", year=2026, actor=world.admin)
    with pytest.raises(Exception) as refused:
        services.indicators_import(
            edition=edition, file=csv_bytes(["a", "b"], [["1", "2"]]), actor=world.admin
        )
    assert getattr(refused.value, "code", None) == "columns_missing"


def test_sites_import_is_all_or_nothing(world):
    site_types()
    street = world.street.code
    good = [
        ["人民路", "road", "人民路 1 号", "39.605", "109.765", street, "", "ZJJ-SZ"],
        ["东城市场", "market", "", "39.607", "109.766", street, "", "YLZX"],
    ]
    bad = [
        *good,
        ["无类型", "moon", "", "39.6", "109.76", street, "", "YLZX"],
        ["无坐标", "road", "", "north", "109.76", street, "", "YLZX"],
        ["无单位", "road", "", "39.6", "109.76", street, "", "NOPE"],
    ]
    result = services.sites_import(file=csv_bytes(SITE_COLUMNS, bad), actor=world.admin)
    assert [(e.line, e.field) for e in result.errors] == [(4, "site_type"), (5, "lat"), (6, "unit")]
    assert Site.objects.count() == 0
    result = services.sites_import(file=csv_bytes(SITE_COLUMNS, good), actor=world.admin)
    assert result.ok and result.created == 2
    assert Site.objects.get(name="人民路").unit.code == "ZJJ-SZ"
