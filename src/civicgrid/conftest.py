"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest

from civicgrid.grids import index
from civicgrid.worktime import calendar


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    # A fast hasher keeps persona creation cheap; the per-process grid index must not leak
    # from one test's (rolled back) database into the next.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    index.invalidate()
    calendar.invalidate()
    yield
    index.invalidate()
    calendar.invalidate()


@pytest.fixture
def world(db):
    from civicgrid.testing import build_world

    return build_world()


@pytest.fixture
def categories(db):
    from civicgrid.testing import load_test_categories

    return load_test_categories()


@pytest.fixture
def routed_world(world, categories):
    from civicgrid.testing import load_test_routing

    load_test_routing(world, categories)
    return world
