"""The demo city's Open311 service definitions: the questions a few services ask a connected system
(GeoReport v2 `attributes`), one of each of the six datatypes. Kept as ordinary Open311Attribute rows,
so the admin edits them like any other city's; building them again adds what is missing and leaves
the rest (and an admin's edits, and the discovery changeset) as they are."""

from __future__ import annotations

from django.db import transaction

from civicgrid.open311.models import Open311Attribute
from civicgrid.taxonomy.models import Category

# (kind, code) → [(code, datatype, required, question, values, datatype_description)]
DEFINITIONS: dict[tuple[str, str], list[tuple]] = {
    ("matter", "06010"): [  # 暴露垃圾
        ("volume", "number", True, "垃圾大约有多少立方米？", [], "数字，如 0.5"),
        (
            "waste_kind",
            "singlevaluelist",
            True,
            "垃圾种类",
            [("household", "生活垃圾"), ("construction", "建筑垃圾"), ("bulky", "大件垃圾")],
            "",
        ),
        (
            "nuisance",
            "multivaluelist",
            False,
            "伴随问题（可多选）",
            [("odour", "有异味"), ("flies", "有蚊蝇"), ("leak", "有渗漏")],
            "",
        ),
        ("seen_at", "datetime", False, "首次发现时间", [], "带时区，如 2026-03-01T08:30:00+08:00"),
    ],
    ("matter", "06013"): [  # 道路破损
        ("size", "singlevaluelist", True, "破损大小", [("small", "小于 1 米"), ("large", "1 米及以上")], ""),
        ("landmark", "string", False, "附近地标或门牌号", [], "最多 200 字"),
        ("danger", "text", False, "是否已有人或车辆受损？请说明", [], ""),
    ],
    ("component", "01003"): [  # 雨水井盖
        (
            "cover_state",
            "singlevaluelist",
            True,
            "井盖情况",
            [("missing", "缺失"), ("broken", "破损"), ("loose", "松动")],
            "",
        ),
        ("cover_code", "string", False, "井盖上的部件编码（如有）", [], ""),
    ],
}


@transaction.atomic
def build_open311_attributes() -> int:
    """Create the demo definitions where missing; returns how many attributes they hold."""
    count = 0
    for (kind, code), rows in DEFINITIONS.items():
        category = Category.objects.filter(kind=kind, code=code).first()
        if category is None:
            continue
        for order, (attr, datatype, required, question, values, described) in enumerate(rows, start=1):
            Open311Attribute.objects.get_or_create(
                category=category,
                code=attr,
                defaults={
                    "datatype": datatype,
                    "required": required,
                    "order": order,
                    "description": question,
                    "datatype_description": described,
                    "values": [{"key": key, "name": name} for key, name in values],
                },
            )
            count += 1
    return count
