"""The demo city marks its enforcement matters as needing a legal basis in replies."""

import pytest

from civicgrid.demo.city import build_taxonomy
from civicgrid.taxonomy.models import Category


@pytest.mark.django_db
def test_enforcement_matters_need_a_legal_basis_in_the_demo():
    build_taxonomy()
    needs = dict(Category.objects.filter(kind="matter").values_list("name", "needs_legal_basis"))
    assert needs["占道经营"] and needs["噪声扰民"] and needs["私搭乱建"]
    assert not needs["暴露垃圾"] and not needs["道路破损"]
    assert not Category.objects.filter(kind="component", needs_legal_basis=True).exists()
