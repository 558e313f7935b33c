"""The per-process copy of categories and time limits (taxonomy/cache.py) follows every change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civicgrid.cases.deadlines import limit_for
from civicgrid.core.errors import DomainError
from civicgrid.taxonomy import cache
from civicgrid.taxonomy.choices import ClockUnit, Step, Urgency
from civicgrid.taxonomy.models import Category, TaxonomyRevision, TimeLimit
from civicgrid.taxonomy.selectors import category_by_code

pytestmark = pytest.mark.django_db


def test_a_saved_time_limit_applies_to_the_next_lookup(categories):
    category = categories["06010"]
    before = limit_for(category, Step.HANDLE, Urgency.NORMAL)
    TimeLimit.objects.create(
        category=category,
        step=Step.HANDLE,
        urgency=Urgency.NORMAL,
        hours=Decimal("7.5"),
        unit=ClockUnit.NATURAL_HOURS,
    )
    assert limit_for(category, Step.HANDLE, Urgency.NORMAL) == (Decimal("7.5"), ClockUnit.NATURAL_HOURS)
    TimeLimit.objects.filter(category=category).delete()  # a queryset delete sends post_delete per row
    assert limit_for(category, Step.HANDLE, Urgency.NORMAL) == before


def test_a_deactivated_category_is_refused_at_once(categories):
    category = categories["06010"]
    assert category_by_code(f"{category.kind}:{category.code}") == category
    category.active = False
    category.save()
    with pytest.raises(DomainError) as refused:
        category_by_code(f"{category.kind}:{category.code}")
    assert refused.value.code == "category_unknown"


def test_another_process_change_is_seen_after_the_recheck_interval(categories, settings):
    category = categories["06010"]
    settings.CIVICGRID_GRID_RECHECK_SECONDS = 3600
    first = cache.get_snapshot()
    # Another server changes a row and the revision without this process's signals running.
    Category.objects.filter(pk=category.pk).update(name="改过的名称")
    TaxonomyRevision.objects.filter(pk=1).update(revision=first.revision + 1)
    assert cache.get_snapshot() is first  # within the interval: the copy stays
    settings.CIVICGRID_GRID_RECHECK_SECONDS = 0
    assert category_by_code(f"{category.kind}:{category.code}").name == "改过的名称"
    assert cache.get_snapshot().revision == first.revision + 1


def test_every_save_moves_the_revision(categories):
    before = cache.current_revision()
    Category.objects.create(
        kind="matter", code="99901", major_name="本地", name="本地新增事项", is_local=True
    )
    assert cache.current_revision() == before + 1
