"""A service's questions are read from a per-process copy (selectors.attributes_of) that follows every
change: at once in the process that made it, within the recheck interval in every other."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.open311.models import Open311Attribute
from civicgrid.open311.selectors import attributes_of
from civicgrid.open311.tests.kit import build, error_of, fms_post
from civicgrid.taxonomy import cache
from civicgrid.taxonomy.models import TaxonomyRevision

pytestmark = pytest.mark.django_db


def test_a_post_reads_no_definition(routed_world, categories):
    o = build(routed_world, categories)
    assert fms_post(o).status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        assert fms_post(o, **{"attribute[fixmystreet_id]": "4712"}).status_code == 201
    assert not [q["sql"] for q in ctx.captured_queries if "open311_open311attribute" in q["sql"]]


def test_a_saved_or_deleted_question_applies_to_the_next_post(routed_world, categories):
    o = build(routed_world, categories)
    assert fms_post(o).status_code == 201  # the copy is loaded
    plate = Open311Attribute.objects.get(code="plate")
    plate.required = True
    plate.save()
    response = fms_post(o, **{"attribute[fixmystreet_id]": "4712"})
    assert response.status_code == 400 and "attribute[plate]" in error_of(response)[1]
    Open311Attribute.objects.filter(code__in=["plate", "bin_count"]).delete()  # post_delete per row
    response = fms_post(o, **{"attribute[fixmystreet_id]": "4713", "attribute[bin_count]": None})
    assert response.status_code == 201, response.content


def test_another_process_change_is_seen_after_the_recheck_interval(routed_world, categories, settings):
    build(routed_world, categories)
    category = categories["06010"]
    settings.CIVICGRID_GRID_RECHECK_SECONDS = 3600
    assert [a.code for a in attributes_of(category) if a.required] == ["bin_count", "kind"]
    # Another server changes a question and the revision without this process's signals running.
    Open311Attribute.objects.filter(code="plate").update(required=True)
    TaxonomyRevision.objects.filter(pk=1).update(revision=cache.current_revision() + 1)
    assert [a.code for a in attributes_of(category) if a.required] == ["bin_count", "kind"]
    settings.CIVICGRID_GRID_RECHECK_SECONDS = 0
    assert [a.code for a in attributes_of(category) if a.required] == ["bin_count", "plate", "kind"]


def test_the_copy_keeps_the_order_and_each_service_its_own(routed_world, categories):
    build(routed_world, categories)
    Open311Attribute.objects.create(
        category=categories["06013"], code="size", datatype="string", order=1, description="大小"
    )
    Open311Attribute.objects.filter(code="seen_at").update(order=9)
    cache.invalidate()
    assert [a.code for a in attributes_of(categories["06010"])] == [
        "bin_count",
        "plate",
        "detail",
        "kind",
        "smell",
        "seen_at",
    ]
    assert [a.code for a in attributes_of(categories["06013"])] == ["size"]
    assert attributes_of(categories["09006"]) == []
