"""In Chromium: 王芳 finds an activity on the map of activities near her, signs up, checks in by opening
the venue code's URL (the phone's position at the activity), checks out two hours later; 李强, the team
leader, approves her hours; her points page shows the entry with its explanation, and her certificate
opens as a PDF.

Screenshots go to $CIVICGRID_SCREENSHOT_DIR when set.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from civicgrid.conftest import login_page
from civicgrid.points.models import PointsEntry
from civicgrid.volunteers import services
from civicgrid.volunteers.models import ActivityType, HoursState, Signup, SignupState
from civicgrid.volunteers.tests.pages_helpers import LAT, LON, build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Content-Security-Policy violations, recorded from before the page's own scripts run.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.sourceFile));
"""
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def shot(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("CIVICGRID_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def test_find_sign_up_check_in_and_out_approve_points_certificate(
    browser, live_server, world, settings, tmp_path
):
    w = world
    settings.CIVICGRID_STAFF_IDLE_MINUTES = 4 * 60  # the leader's console session outlasts the shift
    vw = build(w)
    now = timezone.now()
    # A shift that started an hour ago and ends in two, open for sign-up until its last hour: sign up and
    # check in now, check out two hours later.
    start = now.replace(second=0, microsecond=0) - timedelta(hours=1)
    square = services.activity_create(
        actor=w.grid_member,
        title="广场文明劝导",
        kind=ActivityType.CIVILIZED_CITY,
        address="北苑社区文化广场",
        lat=LAT + 0.003,
        lon=LON + 0.004,
        team=vw.team,
        fence_m=200,
    )
    shift = services.shift_add(
        activity=square,
        actor=w.grid_member,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=3,
        signup_deadline=start + timedelta(hours=2),
    )
    contexts = []

    def page_for(user, *, phone: bool, at: tuple[float, float] | None = None):
        kwargs = dict(PHONE) if phone else {"viewport": {"width": 1280, "height": 900}}
        if at is not None:
            kwargs.update(permissions=["geolocation"], geolocation={"latitude": at[0], "longitude": at[1]})
        context = browser.new_context(locale="zh-CN", base_url=live_server.url, **kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.add_init_script(WATCH)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.js_errors = errors
        login_page(page, user)
        return page

    try:
        # 1. 王芳 opens the activities near her: the page asks for her position, then shows the map.
        citizen = page_for(w.citizen, phone=True, at=(square.lat, square.lon))
        citizen.goto("/v/")
        citizen.wait_for_url("**/v/?*lat=*")
        expect(citizen.locator("#vol-map")).to_have_attribute("data-marker-count", "3")
        expect(citizen.locator("#activities")).to_contain_text("广场文明劝导")
        shot(citizen, "volunteers-nearby.png", tmp_path)
        # She taps the activity's marker on the map and follows the link in its popup.
        citizen.locator(f"#vol-map path.vol-marker-{square.pk}").click()
        popup = citizen.locator(".leaflet-popup-content a")
        expect(popup).to_have_text("广场文明劝导")
        popup.click()
        citizen.wait_for_url(f"**/v/a/{square.pk}/")

        # 2. She signs up for the shift.
        citizen.click(f"[data-signup='{shift.pk}']")
        expect(citizen.locator(f"li[data-shift='{shift.pk}'] [data-signup-state]")).to_have_text("已确认")
        shot(citizen, "volunteers-activity.png", tmp_path)
        signup = Signup.objects.get(shift=shift, volunteer=vw.wang)
        assert signup.state == SignupState.CONFIRMED

        # 3. 李强 shows the venue code; she opens its URL (what scanning the QR does) and checks in.
        leader = page_for(w.grid_member, phone=False)
        leader.goto(f"/console/volunteers/{square.pk}/code/")
        expect(leader.locator("#venue-code svg")).to_be_visible()
        shot(leader, "volunteers-venue-code.png", tmp_path)
        venue_url = leader.locator("#venue-url").get_attribute("href")
        assert "/v/checkin/" in venue_url
        citizen.goto(venue_url)
        citizen.click("#check-in")
        expect(citizen.locator("#check-result")).to_have_attribute("data-accepted", "1")
        expect(citizen.locator("#check-result")).to_contain_text("签到成功")
        shot(citizen, "volunteers-checked-in.png", tmp_path)
        signup.refresh_from_db()
        assert signup.checked_in_at is not None
        assert abs(signup.checkin_lat - square.lat) < 1e-5 and abs(signup.checkin_lon - square.lon) < 1e-5

        # The code screen shows the next code by itself before the shown one expires (htmx).
        settings.CIVICGRID_VOLUNTEER_CODE_SECONDS = 10
        leader.reload()
        shown = leader.locator("#venue-url").get_attribute("href")
        leader.wait_for_function(
            "shown => document.getElementById('venue-url').getAttribute('href') !== shown", arg=shown
        )
        settings.CIVICGRID_VOLUNTEER_CODE_SECONDS = 300
        assert leader.evaluate("window.__csp") == [] and citizen.evaluate("window.__csp") == []

        # 4. Two hours later: the screen shows a new code; she checks out with it.
        with time_machine.travel(timezone.now() + timedelta(hours=2), tick=True):
            leader.goto(f"/console/volunteers/{square.pk}/code/")
            later_url = leader.locator("#venue-url").get_attribute("href")
            assert later_url != venue_url
            citizen.goto(later_url)
            citizen.click("#check-out")
            expect(citizen.locator("#check-result")).to_contain_text("签退成功")
            signup.refresh_from_db()
            assert signup.hours_state == HoursState.PENDING and signup.hours_claimed >= 1

            # 5. 李强 approves the computed hours of the shift.
            leader.goto(f"/console/volunteers/shifts/{shift.pk}/hours/")
            expect(leader.locator(f"tr[data-signup='{signup.pk}']")).to_contain_text("王芳")
            shot(leader, "volunteers-hours.png", tmp_path)
            leader.click("#bulk-approve")
            expect(leader.locator(f"tr[data-signup='{signup.pk}']")).to_have_attribute(
                "data-hours-state", "approved"
            )
            signup.refresh_from_db()
            assert signup.hours_state == HoursState.APPROVED
            entry = PointsEntry.objects.get(source_key=f"volunteer:signup:{signup.pk}")

            # 6. Her points page shows the entry and what it was for; her certificate opens.
            citizen.goto("/m/points/")
            expect(citizen.locator("#entries")).to_contain_text("志愿服务「广场文明劝导」")
            expect(citizen.locator("#entries")).to_contain_text(f"+{entry.delta}")
            citizen.goto("/v/me/hours/")
            expect(citizen.locator("#hours")).to_contain_text("广场文明劝导")
            shot(citizen, "volunteers-my-hours.png", tmp_path)
            response = citizen.request.get("/v/me/certificate.pdf")
            assert response.status == 200 and response.headers["content-type"] == "application/pdf"
            assert response.body().startswith(b"%PDF")
        assert citizen.js_errors == [] and leader.js_errors == []
    finally:
        for context in contexts:
            context.close()
