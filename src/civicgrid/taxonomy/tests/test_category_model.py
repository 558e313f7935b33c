"""Category: a 5-digit code whose first two digits are the major class."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from civicgrid.taxonomy.models import Category


@pytest.mark.parametrize("code", ["0601", "060131", "06a13", ""])
def test_a_code_that_is_not_five_digits_is_refused(db, code):
    with pytest.raises(ValidationError) as exc:
        Category(kind="matter", code=code, major_name="市容环境类", name="道路破损").full_clean()
    assert "code" in exc.value.message_dict


def test_the_major_class_comes_from_the_code(db):
    category = Category.objects.create(kind="matter", code="06013", major_name="市容环境类", name="道路破损")
    assert category.major_code == "06"
    category.code = "09013"
    category.save()
    assert Category.objects.get(pk=category.pk).major_code == "09"


def test_components_and_matters_share_the_code_space(db):
    Category.objects.create(kind="matter", code="01001", major_name="x", name="事项")
    Category.objects.create(kind="component", code="01001", major_name="x", name="部件")
    with pytest.raises(IntegrityError):
        Category.objects.create(kind="component", code="01001", major_name="x", name="重复")
