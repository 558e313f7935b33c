"""Screenshots of the main pages for the docs, taken from a throwaway demo city.

    .venv/bin/python tools/screenshots.py        (or: make screenshots)

Builds the demo in a temporary folder (CIVICGRID_HOME=<tmp>: `civicgrid migrate`, `civicgrid demo
--cases 400 --days 60`, `civicgrid rollups`), serves it with `civicgrid serve --with-worker` on a free local port, and walks one fresh case around
the loop through the pages with Debian's Chromium — the citizen reports it on the phone page, the
dispatcher registers and dispatches it, the roads section accepts it and feeds back, the grid member
verifies it on site, the dispatcher closes it — taking the screenshots on the way; then the leader's
city map, dashboard and big screen over the demo city's year; then volunteer service — 李强 (team leader)
creates an activity in the console, 王芳 registers, finds it on the map, signs up and checks in and out
by the venue code, 李强 approves the hours (`volunteers-*.png`). They are written to docs/screenshots/;
the last line printed is {"screenshots": [file names]}.

    .venv/bin/python tools/screenshots.py --only volunteers   (a smaller demo city, the volunteer pages only)

The server is stopped and the temporary folder removed at the end, also when a step fails.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CIVICGRID_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "civicgrid-demo"
DISPATCHER, ROADS_HANDLER, GRID_MEMBER, CITIZEN = "13800000001", "13800000002", "13800000007", "13800000008"
LEADER = "13800000006"
ROADS = "ZJJ-SZ"  # 住建局市政设施管理处: major class 01 (市政公用设施) is routed there in the demo city
CATEGORY = "component:01003"  # 雨水井盖
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
}
DESKTOP = {"viewport": {"width": 1920, "height": 1080}, "device_scale_factor": 1}
TIMEOUT_MS = 20_000

# Settings that would point the demo somewhere else than the temporary folder.
FOREIGN_SETTINGS = [
    "DATABASE_URL",
    "SQLITE_PATH",
    "MEDIA_ROOT",
    "PRIVATE_MEDIA_ROOT",
    "STATIC_ROOT",
    "DJANGO_SETTINGS_MODULE",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "CIVICGRID_TILE_URL",
]

# 李强 (the grid member) leads a volunteer team of his community (the demo's own teams, if any, are left as
# they are); the point where its activity takes place is the grid member's cell's (FACTS).
VOLUNTEER_TEAM = """
from civicgrid.accounts.models import User
from civicgrid.volunteers import services
from civicgrid.volunteers.models import Team
member = User.objects.get(phone="GRID_MEMBER_PHONE")
admin = User.objects.get(phone="13800000000")
if not Team.objects.filter(leader=member).exists():
    services.team_create(name="青春山志愿服务队", leader=member, actor=admin, description="巡河护绿、文明劝导")
""".replace("GRID_MEMBER_PHONE", GRID_MEMBER)

# The grid member's first cell, and a point in it near its south-east corner: close enough to two
# edges that even the small zoomed-in case maps show the cell's borders.
FACTS = """
import json
from shapely.geometry import Point
from civicgrid.accounts.models import User
from civicgrid.grids.models import Cell
member = User.objects.get(phone="GRID_MEMBER_PHONE")
cell = Cell.objects.filter(members=member).order_by("code").first()
shape = cell.shape
min_lon, min_lat, max_lon, max_lat = shape.bounds
point = Point(max_lon - min(0.0008, (max_lon - min_lon) / 4), min_lat + min(0.0005, (max_lat - min_lat) / 4))
if not shape.contains(point):
    point = shape.representative_point()
print("FACTS " + json.dumps({"cell": cell.code, "cell_name": cell.name, "lat": point.y, "lon": point.x}))
""".replace("GRID_MEMBER_PHONE", GRID_MEMBER)


def log(text: str) -> None:
    print(f"[screenshots] {text}", file=sys.stderr, flush=True)


def civicgrid(env: dict, *args: str) -> str:
    """Run a `civicgrid` command of this venv in the demo's folder; its stdout, or a failure with its output."""
    done = subprocess.run(
        [sys.executable, "-m", "civicgrid", *args],
        env=env,
        cwd=env["CIVICGRID_HOME"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"civicgrid {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(server: subprocess.Popen, url: str, server_log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}):\n{server_log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(
        f"the server did not answer {url} within {timeout:.0f} s:\n{server_log.read_text()[-3000:]}"
    )


def stop(server: subprocess.Popen) -> None:
    """SIGTERM to `serve` (it stops gunicorn and the worker), SIGKILL to its process group if it hangs."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the group started for it (start_new_session)
        server.wait(timeout=5)


def photo(folder: Path, name: str, *, repaired: bool, shade: int = 150) -> str:
    """A plausible JPEG: a grey pavement with a missing (or a new) drain cover."""
    image = Image.new("RGB", (1024, 768), (shade, shade, shade - 4))
    draw = ImageDraw.Draw(image)
    for x in range(0, 1024, 128):  # paving joints
        draw.line((x, 0, x, 768), fill=(128, 128, 124), width=3)
    for y in range(0, 768, 96):
        draw.line((0, y, 1024, y), fill=(128, 128, 124), width=3)
    if repaired:
        draw.ellipse((362, 234, 662, 534), fill=(70, 72, 76), outline=(40, 40, 40), width=8)
        for i in range(-120, 140, 30):
            draw.line((512 + i, 260, 512 + i, 508), fill=(55, 57, 60), width=6)
    else:
        draw.ellipse((362, 234, 662, 534), fill=(25, 22, 20), outline=(95, 80, 60), width=10)
    path = folder / name
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    path.write_bytes(out.getvalue())
    return str(path)


# --- the pages ------------------------------------------------------------------------------------------


class Shots:
    def __init__(self) -> None:
        self.names: list[str] = []

    def take(self, page: Page, name: str, *, full_page: bool = False) -> None:
        """Save a PNG of the page once it has settled (fonts, lazy images) and is known to be no error page.

        A full page is taken by growing the viewport to the page's height, so that fixed bars (the H5
        tab bar) stay at the bottom instead of being painted across the middle."""
        page.wait_for_load_state("networkidle")
        page.evaluate(LOAD_IMAGES)
        page.evaluate("document.fonts.ready.then(() => true)")
        check_page(page)
        path = OUT / name
        viewport = page.viewport_size
        if full_page:
            height = page.evaluate("document.documentElement.scrollHeight")
            page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
            page.evaluate("window.scrollTo(0, 0)")
            page.wait_for_timeout(300)  # maps re-layout after the resize
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        if full_page:
            page.set_viewport_size(viewport)
        self.names.append(name)
        log(f"{name}: {path.stat().st_size // 1024} KB")


# Lazy images below the fold would be blank in a full-page shot: load them all now.
LOAD_IMAGES = """() => Promise.all([...document.images].map(img => {
    img.loading = "eager";
    return img.complete ? null : new Promise(done => { img.onload = img.onerror = done; });
}))"""


def check_page(page: Page) -> None:
    """No error page, no broken image, the page in Chinese."""
    title = page.title()
    bad = [
        "Server Error",
        "Not Found",
        "Page not found",
        "Forbidden",
        "页面不存在",
        "无权访问",
        "出错了",
        "未找到",
    ]
    if any(word in title for word in bad):
        raise RuntimeError(f"{page.url} is an error page: {title!r}")
    if page.locator("html").get_attribute("lang") != "zh-Hans":
        raise RuntimeError(f"{page.url} is not in Chinese")
    broken = page.evaluate(
        "() => [...document.images].filter(i => i.complete && i.naturalWidth === 0).map(i => i.src)"
    )
    if broken:
        raise RuntimeError(f"{page.url} has broken images: {broken}")


def goto(page: Page, path: str) -> None:
    response = page.goto(path)
    if response is None or response.status >= 400:
        raise RuntimeError(f"{path}: HTTP {response.status if response else '—'}")
    page.wait_for_load_state("networkidle")


def login(page: Page, phone: str) -> None:
    goto(page, "/accounts/login/")
    page.fill("#id_username", phone)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/accounts/login/" in page.url:
        raise RuntimeError(f"could not sign in as {phone}")


def wait_for_cells(page: Page, map_selector: str) -> None:
    """The grid cells are drawn (they come from /api/grids/cells.geojson after the map settles)."""
    page.wait_for_load_state("networkidle")
    expect(page.locator(f"{map_selector} path.leaflet-interactive").first).to_be_attached()


def click_map_at(page: Page, lat: float, lon: float, zoom: int = 15) -> None:
    """Tap the report map where (lat, lon) is drawn, as a citizen would."""
    page.wait_for_function("window.civicgridReportMap !== undefined")
    point = page.evaluate(
        """([lat, lon, zoom]) => {
             const map = window.civicgridReportMap;
             map.setView([lat, lon], zoom, {animate: false});
             const p = map.latLngToContainerPoint([lat, lon]);
             return {x: p.x, y: p.y};
           }""",
        [lat, lon, zoom],
    )
    page.locator("#report-map").click(position=point)
    expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
    page.mouse.move(1, 1)  # no cell tooltip left open under the pointer


def open_case_from_queue(page: Page, queue: str, number: str) -> None:
    goto(page, f"/console/queue/{queue}/")
    page.locator(f"tr[data-number='{number}'] a.case-link").click()
    page.wait_for_url(f"**/console/cases/{number}/**")
    page.wait_for_load_state("networkidle")


def act(page: Page, action: str, status: str, note: str = "", photo_path: str = "") -> None:
    """Send one of the case page's action forms and wait for the case's new status."""
    if note:
        page.fill(f"#{action}-note", note)
    if photo_path:
        page.set_input_files(f"#{action}-photos", photo_path)
    page.click(f"#form-{action} button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#case-status")).to_have_text(status)


def media_from(folder: Path):
    """Answer /media/… from the demo's media folder, as the front web server (nginx) does in a deployment.

    `civicgrid serve` (gunicorn, DEBUG off) serves the static files but not the uploaded photos."""
    root = folder.resolve()

    def answer(route) -> None:
        rel = urllib.parse.unquote(urllib.parse.urlsplit(route.request.url).path).removeprefix("/media/")
        path = (root / rel).resolve()
        if path.is_relative_to(root) and path.is_file():
            route.fulfill(path=str(path))
        else:
            route.fulfill(status=404, body="not found")

    return answer


def walk(browser, base_url: str, facts: dict, work: Path, shots: Shots) -> None:
    serve_media = media_from(work / "var" / "media")

    def context(**kwargs):
        ctx = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai", **kwargs)
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.route(f"{base_url}/media/**", serve_media)
        return ctx

    # 王芳 reports a missing drain cover in 李强's cell: a photo, a tap on the map, the category.
    citizen = context(**PHONE).new_page()
    login(citizen, CITIZEN)
    goto(citizen, "/m/report/")
    citizen.set_input_files("#id_photos_album", photo(work, "drain.jpg", repaired=False))
    expect(citizen.locator("#previews img")).to_have_count(1)
    click_map_at(citizen, facts["lat"], facts["lon"])
    citizen.select_option("#id_category", CATEGORY)
    citizen.fill("#id_address", "康和路与青春山路交叉口东南角")
    citizen.fill("#id_description", "人行道上的雨水井盖丢了，井口敞着，晚上路过很危险")
    wait_for_cells(citizen, "#report-map")
    citizen.evaluate("window.scrollTo(0, 0)")
    shots.take(citizen, "citizen-report.png", full_page=True)
    citizen.click("#submit-button")
    citizen.wait_for_url("**/m/cases/*/")
    number = citizen.url.rstrip("/").rsplit("/", 1)[-1]
    log(f"reported case {number}")

    # 张伟 (dispatcher): the new-reports queue, then register and dispatch the case to the roads section.
    dispatcher = context(**DESKTOP).new_page()
    login(dispatcher, DISPATCHER)
    goto(dispatcher, "/console/queue/new/")
    expect(dispatcher.locator(f"tr[data-number='{number}']")).to_be_visible()
    shots.take(dispatcher, "console-dispatcher-queue.png")
    open_case_from_queue(dispatcher, "new", number)
    act(dispatcher, "register", "待派遣", "属实，予以立案")
    dispatcher.select_option("#dispatch-department", ROADS)
    act(dispatcher, "dispatch", "待签收", "请尽快补装井盖，先设置警示标志")

    # 刘洋 (roads section): the to-accept queue, accept, feed back with a photo.
    handler = context(**DESKTOP).new_page()
    login(handler, ROADS_HANDLER)
    goto(handler, "/console/queue/to_accept/")
    expect(handler.locator(f"tr[data-number='{number}']")).to_be_visible()
    shots.take(handler, "console-handler-queue.png")
    open_case_from_queue(handler, "to_accept", number)
    act(handler, "accept", "处置中")
    act(
        handler,
        "feedback",
        "待核查",
        "已补装新井盖并加固井圈，现场已清理",
        photo(work, "drain-fixed.jpg", repaired=True),
    )

    # The dispatcher's view of the handled case: its timeline, photos and the verify / rework forms.
    open_case_from_queue(dispatcher, "to_verify", number)
    expect(dispatcher.locator("#form-verify")).to_be_visible()
    wait_for_cells(dispatcher, "#case-map")
    shots.take(dispatcher, "console-case.png", full_page=True)

    # 李强 (grid member): the cases waiting for an on-site check in his cells; he verifies this one.
    member = context(**PHONE).new_page()
    login(member, GRID_MEMBER)
    goto(member, "/m/grid/verify/")
    member.locator(f"a[href='/m/grid/verify/{number}/']").click()
    member.wait_for_url(f"**/m/grid/verify/{number}/")
    wait_for_cells(member, "[data-case-map]")
    shots.take(member, "grid-member-verify.png", full_page=True)
    member.set_input_files("#id_photos", photo(work, "drain-checked.jpg", repaired=True, shade=170))
    member.fill("#id_note", "现场核查：井盖已补装，牢固平整")
    member.click("button[value=verify]")
    member.wait_for_url("**/m/grid/verify/")

    # The dispatcher closes it.
    open_case_from_queue(dispatcher, "to_close", number)
    act(dispatcher, "close", "已结案", "处置完毕，予以结案")

    # 王芳: her cases, then the closed case with its timeline, result photos and the rating form.
    goto(citizen, "/m/cases/")
    expect(citizen.locator(f"a[href='/m/cases/{number}/']")).to_be_visible()
    shots.take(citizen, "citizen-my-cases.png")
    citizen.locator(f"a[href='/m/cases/{number}/']").click()
    citizen.wait_for_url(f"**/m/cases/{number}/")
    expect(citizen.locator("#case-status")).to_have_text("已结案")
    expect(citizen.locator(".timeline")).to_contain_text("结案")
    wait_for_cells(citizen, "[data-case-map]")
    shots.take(citizen, "citizen-case.png", full_page=True)

    # The public list of cases (/reports/), as anyone sees it.
    visitor = context(**DESKTOP).new_page()
    goto(visitor, "/reports/")
    shots.take(visitor, "public-reports.png")

    # 赵敏 (leader): the city map, the dashboard and the big screen over the demo city's year.
    leader = context(**DESKTOP).new_page()
    login(leader, LEADER)
    goto(leader, "/map/")
    expect(leader.locator("#citymap")).to_have_attribute("data-layer-cases", re.compile(r"\w+:\d+"))
    expect(leader.locator("#citymap")).to_have_attribute("data-layer-cell_density", re.compile(r"\w+:\d+"))
    expect(leader.locator("#citymap")).to_have_attribute("data-layer-boundaries", re.compile(r"\w+:\d+"))
    leader.wait_for_timeout(500)
    shots.take(leader, "map.png")
    goto(leader, "/dashboard/?period=year")
    for chart in (
        "chart-trend",
        "chart-category",
        "chart-cell",
        "chart-department",
        "chart-street",
        "chart-channel",
    ):
        expect(leader.locator(f"#{chart}")).to_have_attribute("data-state", "drawn")
    leader.wait_for_timeout(800)  # the charts' entry animation
    shots.take(leader, "dashboard.png")
    goto(leader, "/screen/")
    expect(leader.locator("#s-map")).to_have_attribute("data-layer-cell_density", re.compile(r"\w+:\d+"))
    expect(leader.locator("#s-departments canvas")).to_have_count(1)
    leader.wait_for_timeout(1500)
    shots.take(leader, "screen.png")


def volunteers(browser, base_url: str, facts: dict, shots: Shots) -> None:
    """志愿服务: 李强 creates an activity with a shift that starts in half an hour (check-in opens an hour
    before); 王芳 registers, finds it
    on the map, signs up and checks in with the venue code (her phone's position at the activity); 李强
    sees the roster, the hours to approve (the demo's past shifts) and the review queue; 王芳's hours."""
    lat, lon = facts["lat"], facts["lon"]

    def context(**kwargs):
        ctx = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai", **kwargs)
        ctx.set_default_timeout(TIMEOUT_MS)
        return ctx

    leader = context(**PHONE).new_page()  # an organiser at the venue, on his phone
    login(leader, GRID_MEMBER)
    goto(leader, "/console/volunteers/new/")
    leader.fill("#id_title", "康和路文明交通劝导")
    leader.select_option("#id_kind", "traffic")
    leader.fill("#id_address", "康和路与青春山路交叉口")
    leader.fill("#id_lat", f"{lat:.6f}")
    leader.fill("#id_lon", f"{lon:.6f}")
    leader.fill("#id_description", "早高峰路口劝导：行人走斑马线、电动车不逆行。请穿志愿者马甲。")
    start = leader.evaluate(
        "() => { const d = new Date(Date.now() + 30 * 60000); d.setSeconds(0, 0);"
        " return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); }"
    )
    end = leader.evaluate(
        "() => { const d = new Date(Date.now() + 150 * 60000); d.setSeconds(0, 0);"
        " return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); }"
    )
    leader.fill("#id_shifts-0-starts_at", start)
    leader.fill("#id_shifts-0-ends_at", end)
    leader.fill("#id_shifts-0-capacity", "6")
    leader.locator("#id_lat").dispatch_event("change")
    shots.take(leader, "volunteers-new-activity.png", full_page=True)
    leader.click("#activity-form button[type=submit]")
    leader.wait_for_url("**/console/volunteers/*/")
    activity = leader.url.rstrip("/").rsplit("/", 1)[-1]
    log(f"volunteer activity {activity}")

    phone = {**PHONE, "permissions": ["geolocation"], "geolocation": {"latitude": lat, "longitude": lon}}
    citizen = context(**phone).new_page()
    login(citizen, CITIZEN)
    goto(citizen, "/v/register/?next=/v/")
    if "/v/register/" in citizen.url:  # not a volunteer yet in the demo city
        citizen.fill("#id_skills", "急救，摄影")
        citizen.fill("#id_birth_date", "1990-05-12")
        citizen.check("#id_consent")
        shots.take(citizen, "volunteers-register.png", full_page=True)
        citizen.click("#register-form button[type=submit]")  # back to /v/, which asks for the position
    else:
        citizen.goto("/v/")  # the page sends itself again with the phone's position
    citizen.wait_for_url("**/v/?*lat=*")
    expect(citizen.locator(f"#activities li[data-activity='{activity}']")).to_be_visible()
    citizen.wait_for_timeout(500)
    shots.take(citizen, "volunteers-nearby.png")
    goto(citizen, f"/v/a/{activity}/")
    citizen.locator("[data-signup]").first.click()
    expect(citizen.locator("[data-signup-state]").first).to_have_text("已确认")
    shots.take(citizen, "volunteers-activity.png", full_page=True)

    desk = context(**DESKTOP).new_page()  # the venue code on a screen at the venue
    login(desk, GRID_MEMBER)
    goto(desk, f"/console/volunteers/{activity}/code/")
    shots.take(desk, "volunteers-venue-code.png")
    venue_url = desk.locator("#venue-url").get_attribute("href")
    goto(citizen, urllib.parse.urlsplit(venue_url).path)
    shots.take(citizen, "volunteers-checkin.png")
    citizen.click("#check-in")
    expect(citizen.locator("#check-result")).to_be_visible()
    shots.take(citizen, "volunteers-checked-in.png")
    # Scanned again by mistake: a second check-in is not accepted but sent to the organiser's review.
    goto(citizen, urllib.parse.urlsplit(venue_url).path)
    citizen.click("#check-in")
    expect(citizen.locator("#check-result")).to_have_attribute("data-accepted", "0")
    shots.take(citizen, "volunteers-sent-for-review.png")
    goto(citizen, "/v/me/shifts/")
    shots.take(citizen, "volunteers-my-shifts.png", full_page=True)
    goto(citizen, "/v/me/code/")
    shots.take(citizen, "volunteers-my-code.png")

    goto(desk, f"/console/volunteers/{activity}/")
    shift = desk.locator("#shifts tr[data-shift]").first.get_attribute("data-shift")
    shots.take(desk, "volunteers-console-activity.png")
    goto(desk, f"/console/volunteers/shifts/{shift}/")
    shots.take(desk, "volunteers-roster.png", full_page=True)
    goto(leader, f"/console/volunteers/shifts/{shift}/")
    shots.take(leader, "volunteers-roster-phone.png", full_page=True)
    # Hours to approve: the demo city's past shifts, when it has volunteer history.
    goto(desk, "/console/volunteers/hours/")
    pending = desk.locator("#pending tr[data-shift]")
    if pending.count():
        goto(desk, f"/console/volunteers/shifts/{pending.first.get_attribute('data-shift')}/hours/")
        shots.take(desk, "volunteers-hours.png", full_page=True)
    goto(desk, "/console/volunteers/review/")
    shots.take(desk, "volunteers-review.png")
    goto(citizen, "/v/me/hours/")
    shots.take(citizen, "volunteers-my-hours.png", full_page=True)


def main() -> int:
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    if only not in ("", "volunteers"):
        raise SystemExit("--only takes: volunteers")
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="civicgrid-screenshots-"))
    server = None
    try:
        (home / "var").mkdir()
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN_SETTINGS}
        port = free_port()
        env.update(
            CIVICGRID_HOME=str(home),
            SITE_URL=f"http://127.0.0.1:{port}",
            WEB_CONCURRENCY="2",
            PYTHONUNBUFFERED="1",
            # `civicgrid serve` runs with DEBUG off, which refuses the demo keys (core/checks.py).
            SECRET_KEY=secrets.token_urlsafe(50),
            CIVICGRID_TOKEN_KEYS="k1:" + secrets.token_urlsafe(32),
        )
        log(f"building the demo city in {home}")
        civicgrid(env, "migrate", "--noinput")
        if only:  # a small city is enough for the volunteer pages
            civicgrid(env, "demo", "--cases", "40", "--days", "7")
        else:
            civicgrid(env, "demo", "--cases", "400", "--days", "60")
        civicgrid(env, "shell", "-c", VOLUNTEER_TEAM)
        civicgrid(
            env, "rollups"
        )  # the history's events into the statistics (the worker does it while serving)
        facts_line = [
            line for line in civicgrid(env, "shell", "-c", FACTS).splitlines() if line.startswith("FACTS ")
        ]
        facts = json.loads(facts_line[-1].removeprefix("FACTS "))

        server_log = home / "server.log"
        with server_log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "civicgrid", "serve", "--with-worker", "--bind", f"127.0.0.1:{port}"],
                env=env,
                cwd=home,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(server, f"{base_url}/accounts/login/", server_log)
        log(f"serving on {base_url}")

        shots = Shots()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                if not only:
                    walk(browser, base_url, facts, home, shots)
                volunteers(browser, base_url, facts, shots)
            finally:
                browser.close()
        print(json.dumps({"screenshots": shots.names}, ensure_ascii=False))
        return 0
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
