"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from civicgrid.accounts.clients import api_keys_forget
from civicgrid.gazetteer import index as gazetteer_index
from civicgrid.grids import index
from civicgrid.taxonomy import cache as taxonomy_cache
from civicgrid.worktime import calendar


def pytest_configure(config):
    # The tests serve static files from the apps (WHITENOISE_USE_FINDERS) and never run collectstatic,
    # which `civicgrid serve` does in deployment; without the folder WhiteNoise warns "No directory at"
    # each time a handler builds the middleware -- at collection too (the API fuzz module reads the
    # schema through a WSGI handler), so the folder is made here, before any module is collected.
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    # A fast hasher keeps persona creation cheap; the per-process grid index must not leak
    # from one test's (rolled back) database into the next.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    index.invalidate()
    calendar.invalidate()
    taxonomy_cache.invalidate()
    gazetteer_index.invalidate()
    api_keys_forget()
    yield
    index.invalidate()
    calendar.invalidate()
    taxonomy_cache.invalidate()


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


# --- browser tests: Playwright driving Debian's Chromium against pytest-django's live server ----------

CHROMIUM = os.environ.get("CIVICGRID_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CIVICGRID_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM} (CI must install the chromium package)")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
    # page steps are ordinary synchronous code, so Django's async-safety guard is lifted for them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a fresh browser context (its own cookies) — call it once per person in a test."""
    contexts = []

    def make(*, width: int = 1280, height: int = 900, locale: str = "zh-CN", mobile: bool = False):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            is_mobile=mobile,
            has_touch=mobile,
            base_url=live_server.url,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def login_page(page, user, password: str | None = None) -> None:
    """Sign in through the real login form."""
    from civicgrid.testing import PASSWORD

    page.goto("/accounts/login/")
    page.fill("#id_username", user.phone)
    page.fill("#id_password", password or PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
