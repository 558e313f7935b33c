"""In Chromium, under the Content-Security-Policy: every role's main pages work and break no rule of it,
and a script injected into a page does not run.

Each page is watched for `securitypolicyviolation` events (recorded from before the page's own
scripts run), console errors and uncaught exceptions; there must be none, and the page must still
do its work (a map draws its features, a chart its canvas).
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from civicgrid.analytics import rollups
from civicgrid.codes.tests.conftest import codes, people  # noqa: F401  (the codes fixtures, reused)
from civicgrid.conftest import login_page
from civicgrid.maps.tests.conftest import bulk_cases

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


class Watched:
    """A page whose CSP violations, console errors and uncaught exceptions are collected."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", lambda m: self.errors.append(f"console {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror {e}"))

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        assert "script-src 'self'" in response.headers["content-security-policy"]

    def clean(self, url: str) -> None:
        """Nothing was refused and nothing failed on the page now shown."""
        self.page.wait_for_load_state("networkidle")
        violations = self.page.evaluate("window.__csp")
        assert violations == [], f"{url}: {violations}"
        assert self.errors == [], f"{url}: {self.errors}"


@pytest.fixture
def city(routed_world, categories, codes):  # noqa: F811  (the imported fixture)
    cases = bulk_cases(routed_world, categories, 24, now=timezone.now(), days_back=5)
    rollups.rebuild()
    return routed_world, cases, codes


def map_drawn(page, selector: str) -> None:
    expect(page.locator(f"{selector}.leaflet-container")).to_have_count(1)
    expect(page.locator(f"{selector} path.leaflet-interactive").first).to_be_attached()


def test_every_role_s_pages_work_under_the_policy(new_page, city):
    world, cases, scanned = city
    case = cases[1]

    # The citizen: the report form with its map, my cases, one case, the points, a scanned code.
    citizen = Watched(new_page(width=400, height=800, mobile=True))
    login_page(citizen.page, world.citizen)
    citizen.errors.clear()
    for url in ("/m/report/", "/m/cases/", f"/m/cases/{case.number}/", "/m/points/", scanned.place.path):
        citizen.visit(url)
        if url == "/m/report/":
            map_drawn(citizen.page, "#report-map")
        citizen.clean(url)
    # The category search (htmx) still answers as one types.
    citizen.visit("/m/report/")
    citizen.page.fill("#category-search", "井")
    expect(citizen.page.locator("#category-results button[data-value]").first).to_be_visible()
    citizen.clean("/m/report/ search")

    # The dispatcher: the queue, a case, the hotline entry, the city map.
    dispatcher = Watched(new_page(width=1400, height=900))
    login_page(dispatcher.page, world.dispatcher)
    dispatcher.errors.clear()
    for url in ("/console/", f"/console/cases/{case.number}/", "/console/intake/", "/map/"):
        dispatcher.visit(url)
        if url == "/map/":
            expect(dispatcher.page.locator("#citymap")).to_have_attribute(
                "data-layer-cases", re.compile(r":\d+")
            )
            map_drawn(dispatcher.page, "#citymap")
        elif url.startswith("/console/cases/"):
            map_drawn(dispatcher.page, "#case-map")
        elif url == "/console/intake/":
            map_drawn(dispatcher.page, "#intake-map")
        dispatcher.clean(url)

    # The leader: the dashboard's charts and the big screen.
    leader = Watched(new_page(width=1920, height=1080))
    login_page(leader.page, world.leader)
    leader.errors.clear()
    leader.visit("/dashboard/?period=30d")
    for chart in ("chart-trend", "chart-category", "chart-channel"):
        expect(leader.page.locator(f"#{chart}")).to_have_attribute("data-state", "drawn")
        expect(leader.page.locator(f"#{chart} canvas")).to_have_count(1)
    leader.clean("/dashboard/")
    leader.visit("/screen/")
    expect(leader.page.locator("#s-updated")).not_to_have_text("—")
    expect(leader.page.locator("#s-categories canvas")).to_have_count(1)
    map_drawn(leader.page, "#s-map")
    leader.clean("/screen/")

    # The grid member: their cells and cases on the map.
    member = Watched(new_page(width=400, height=800, mobile=True))
    login_page(member.page, world.grid_member)
    member.errors.clear()
    member.visit("/m/grid/")
    map_drawn(member.page, "#grid-map")
    member.clean("/m/grid/")

    # A visitor: the public case list and map.
    visitor = Watched(new_page())
    visitor.visit("/reports/")
    expect(visitor.page.locator("#public-map")).to_have_attribute("data-markers", re.compile(r"[1-9]"))
    visitor.clean("/reports/")

    # The administrator: the admin's index, a list and a form.
    admin = Watched(new_page(width=1400, height=900))
    login_page(admin.page, world.admin)
    admin.errors.clear()
    for url in ("/admin/", "/admin/taxonomy/category/", "/admin/taxonomy/category/add/"):
        admin.visit(url)
        admin.clean(url)


def test_an_injected_script_does_not_run(new_page, world):
    page = Watched(new_page())
    page.visit("/")
    page.page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.__injected = 'script'";
        document.body.appendChild(script);
        const box = document.createElement("div");
        box.innerHTML = '<img src="/static/css/civicgrid.css" onerror="window.__injected = \\'handler\\'">';
        document.body.appendChild(box);
    }""")
    page.page.wait_for_function("() => window.__csp.length >= 2")
    page.page.wait_for_timeout(300)
    assert page.page.evaluate("window.__injected") is None
    directives = " ".join(page.page.evaluate("window.__csp"))
    assert "script-src-elem" in directives and "script-src-attr" in directives
