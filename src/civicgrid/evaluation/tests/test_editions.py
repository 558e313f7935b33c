"""Editions: a published edition is frozen (services and model saves refuse); a copy starts a new draft."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civicgrid.core.errors import DomainError, PermissionDenied
from civicgrid.evaluation import services
from civicgrid.evaluation.errors import FrozenEdition
from civicgrid.evaluation.models import (
    Content,
    DeductionRule,
    EditionStatus,
    GateRule,
    Item,
    Method,
    NegativeItem,
    Standard,
)
from civicgrid.evaluation.tests.helpers import build

pytestmark = pytest.mark.django_db


def rows(edition) -> list[tuple]:
    return list(
        Standard.objects.filter(content__item__edition=edition)
        .order_by("code")
        .values_list("code", "text", "points", "method", "rule", "deduction", "site_types", "category_id")
    )


def test_publishing_freezes_every_service(world, categories):
    ev = build(world, categories, draw=False)
    admin = world.admin
    before = rows(ev.edition)
    attempts = [
        lambda: services.item_add(edition=ev.edition, code="B", name="公共秩序", actor=admin),
        lambda: services.content_add(item=ev.item, code="A2", name="环境卫生", actor=admin),
        lambda: services.standard_add(
            content=ev.content,
            code="A1.9",
            text="新增标准",
            points="1",
            method=Method.FIELD,
            rule=DeductionRule.ALL_OR_NOTHING,
            site_types=["road"],
            actor=admin,
        ),
        lambda: services.standard_update(standard=ev.litter, points="5", actor=admin),
        lambda: services.indicators_import(
            edition=ev.edition, file=services.indicators_export(edition=ev.edition), actor=admin
        ),
        lambda: services.edition_publish(edition=ev.edition, actor=admin),
    ]
    for attempt in attempts:
        with pytest.raises(FrozenEdition) as refused:
            attempt()
        assert refused.value.code == "edition_frozen"
        assert refused.value.status == 409
    assert rows(ev.edition) == before
    assert Item.objects.filter(edition=ev.edition).count() == 1


def test_a_frozen_row_refuses_a_model_save_and_delete(world, categories):
    ev = build(world, categories, draw=False)
    standard = Standard.objects.get(pk=ev.litter.pk)
    standard.points = Decimal("9")
    with pytest.raises(FrozenEdition):
        standard.save()
    with pytest.raises(FrozenEdition):
        standard.delete()
    item = Item.objects.get(pk=ev.item.pk)
    item.name = "改名"
    with pytest.raises(FrozenEdition):
        item.save()
    with pytest.raises(FrozenEdition):
        Content(item=ev.item, code="A9", name="新内容").save()
    with pytest.raises(FrozenEdition):
        NegativeItem(edition=ev.edition, code="N1", name="重大事件", deduction=1, cap=3).save()
    assert Standard.objects.get(pk=ev.litter.pk).points == Decimal("2.00")
    assert Item.objects.get(pk=ev.item.pk).name == "公共环境"
    assert not Content.objects.filter(code="A9").exists()


def test_a_stale_instance_of_a_published_edition_is_refused(world, categories):
    """The guard reads the edition's status from the database, not from the instance in memory."""
    admin = world.admin
    edition = services.edition_create(name="草稿", year=2026, actor=admin)
    item = services.item_add(edition=edition, code="A", name="公共环境", actor=admin)
    content = services.content_add(item=item, code="A1", name="市容", actor=admin)
    services.standard_add(
        content=content,
        code="A1.1",
        text="无垃圾",
        points="1",
        method=Method.MATERIAL,
        rule=DeductionRule.PROPORTIONAL,
        actor=admin,
    )
    stale = Item.objects.get(pk=item.pk)
    services.edition_publish(edition=edition, actor=admin)
    stale.name = "偷改"
    with pytest.raises(FrozenEdition):
        stale.save()


def test_a_copy_is_a_draft_with_the_same_standards_and_may_change(world, categories):
    ev = build(world, categories, draw=False)
    copy = services.edition_copy(edition=ev.edition, actor=world.admin, name="2027 测评体系", year=2027)
    assert copy.status == EditionStatus.DRAFT
    assert copy.copied_from_id == ev.edition.pk
    assert rows(copy) == rows(ev.edition)
    copied = Standard.objects.get(content__item__edition=copy, code="A1.1")
    services.standard_update(standard=copied, points="3", deduction="1", actor=world.admin)
    assert Standard.objects.get(pk=copied.pk).points == Decimal("3.00")
    assert Standard.objects.get(pk=ev.litter.pk).points == Decimal("2.00")  # the original stays


def test_only_an_administrator_configures(world, categories):
    with pytest.raises(PermissionDenied):
        services.edition_create(name="x", year=2026, actor=world.inspector)
    ev = build(world, categories, draw=False)
    copy = services.edition_copy(edition=ev.edition, actor=world.admin)
    with pytest.raises(PermissionDenied):
        services.item_add(edition=copy, code="B", name="公共秩序", actor=world.leader)


def test_bad_standards_are_refused_with_the_field(world, categories):
    admin = world.admin
    ev = build(world, categories, draw=False)
    copy = services.edition_copy(edition=ev.edition, actor=admin)
    content = Content.objects.get(item__edition=copy, code="A1")
    cases = [
        ({"points": "0"}, "points"),
        ({"method": "guess"}, "method"),
        ({"rule": DeductionRule.PER_FAILURE, "deduction": None}, "deduction"),
        ({"deduction": "5", "rule": DeductionRule.PER_FAILURE}, "deduction"),
        ({"site_types": ["nowhere"]}, "site_types"),
        ({"site_types": []}, "site_types"),
    ]
    base = {
        "text": "x",
        "points": "2",
        "method": Method.FIELD,
        "rule": DeductionRule.ALL_OR_NOTHING,
        "site_types": ["road"],
    }
    for change, field in cases:
        with pytest.raises(DomainError) as refused:
            services.standard_add(content=content, code="Z", actor=admin, **{**base, **change})
        assert refused.value.field == field, change
    assert not Standard.objects.filter(code="Z").exists()


def test_an_empty_edition_is_not_published(world):
    edition = services.edition_create(name="空", year=2026, actor=world.admin)
    with pytest.raises(DomainError) as refused:
        services.edition_publish(edition=edition, actor=world.admin)
    assert refused.value.code == "edition_empty"
    edition.refresh_from_db()
    assert edition.status == EditionStatus.DRAFT


def test_a_copy_carries_the_gates_and_the_negative_list(world):
    admin = world.admin
    edition = services.edition_create(name="带门槛", year=2026, actor=admin)
    item = services.item_add(edition=edition, code="A", name="公共环境", actor=admin)
    content = services.content_add(item=item, code="A1", name="市容", actor=admin)
    services.standard_add(
        content=content,
        code="A1.1",
        text="制度",
        points="1",
        method=Method.MATERIAL,
        rule=DeductionRule.PROPORTIONAL,
        actor=admin,
    )
    GateRule.objects.create(
        edition=edition, item=item, min_rate=Decimal("0.6"), description="公共环境须达 60%"
    )
    NegativeItem.objects.create(edition=edition, code="N1", name="重大安全事故", deduction=2, cap=6)
    services.edition_publish(edition=edition, actor=admin)
    copy = services.edition_copy(edition=edition, actor=admin)
    gate = GateRule.objects.get(edition=copy)
    assert gate.item.edition_id == copy.pk and gate.item.code == "A" and gate.min_rate == Decimal("0.6")
    assert list(NegativeItem.objects.filter(edition=copy).values_list("code", "deduction", "cap")) == [
        ("N1", Decimal("2.00"), Decimal("6.00"))
    ]
    with pytest.raises(FrozenEdition):
        GateRule.objects.get(edition=edition).save()
