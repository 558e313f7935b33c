"""Departments form a tree: no department may be its own ancestor."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civicgrid.accounts.models import Department


def test_a_cycle_is_refused(db):
    top = Department.objects.create(code="ZJJ", name="住建局")
    child = Department.objects.create(code="ZJJ-SZ", name="市政科", parent=top)
    top.parent = child
    with pytest.raises(ValidationError) as exc:
        top.full_clean()
    assert "parent" in exc.value.message_dict


def test_a_department_cannot_be_its_own_parent(db):
    d = Department.objects.create(code="ZJJ", name="住建局")
    d.parent = d
    with pytest.raises(ValidationError):
        d.full_clean()


def test_a_tree_is_fine(db):
    top = Department.objects.create(code="ZJJ", name="住建局")
    child = Department(code="ZJJ-SZ", name="市政科", parent=top)
    child.full_clean()
