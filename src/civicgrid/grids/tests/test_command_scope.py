"""Two-level command (市–区/街道): what the city's, a district's and a street's command centre read and may
do, through the real pages and the API: the console queues, a move outside the area, the map layers, the
dashboard's figures and rankings, the big screen and the exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import translation

from civicgrid.cases.models import Case, CasePhoto
from civicgrid.dashboard.forms import local_today
from civicgrid.grids.tests.scope_city import BINHE, JIAOTONG, SEES, _report, build_scoped_city

pytestmark = pytest.mark.django_db
SCOPES = ["city", "district", "street"]
WHOLE = "bbox=109.70,39.55,109.90,39.70&zoom=16"


@pytest.fixture(autouse=True)
def _every_unit_ranked(settings):
    # A handful of cases per street: rank them all (the sample threshold is tested in analytics).
    settings.CIVICGRID_RANKING_MIN_CASES = 1


@pytest.fixture(autouse=True)
def _photo_storage(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")
    private = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    monkeypatch.setattr(CasePhoto._meta.get_field("original"), "storage", private)


@pytest.fixture
def scoped(routed_world, categories):
    from civicgrid.dashboard.tests.conftest import refresh_rollups

    routed_world.categories = categories
    city = build_scoped_city(routed_world, categories)
    refresh_rollups()
    return city


def queue_rows(response) -> set[str]:
    assert response.status_code == 200
    return set(re.findall(r'<tr data-number="(\d+)"', response.content.decode()))


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:500]
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode(
        "utf-8-sig"
    )
    return list(csv.reader(io.StringIO(text)))


def street_names(scoped, codes) -> set[str]:
    return {scoped.streets[c].name for c in codes}


# --- the console ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", SCOPES)
def test_console_queues_hold_only_the_areas_cases(client, scoped, scope):
    client.force_login(scoped.dispatchers[scope])
    assert queue_rows(client.get("/console/queue/new/")) == scoped.numbers(SEES[scope], which="new")
    assert queue_rows(client.get("/console/queue/to_dispatch/")) == scoped.numbers(
        SEES[scope], which="registered"
    )
    assert queue_rows(client.get("/console/queue/all/")) == scoped.numbers(SEES[scope])
    client.force_login(scoped.leaders[scope])
    assert queue_rows(client.get("/console/queue/all/")) == scoped.numbers(SEES[scope])


def test_the_street_picker_offers_only_the_areas_streets(client, scoped):
    client.force_login(scoped.dispatchers["district"])
    page = client.get("/console/queue/all/").content.decode()
    assert 'value="150603001"' in page and 'value="150603002"' in page
    assert 'value="150602001"' not in page


def test_a_case_outside_the_area_is_not_opened(client, scoped):
    outside = scoped.new[JIAOTONG]
    for scope in ("district", "street"):
        client.force_login(scoped.dispatchers[scope])
        assert client.get(f"/console/cases/{outside.number}/").status_code == 404
        assert client.get(f"/api/cases/{outside.number}").status_code == 404
    client.force_login(scoped.dispatchers["city"])
    assert client.get(f"/console/cases/{outside.number}/").status_code == 200


def test_a_district_dispatcher_may_not_register_or_dispatch_outside_the_district(client, scoped):
    dispatcher = scoped.dispatchers["district"]
    # A hotline call the district's dispatcher took about another district: theirs to read, not to handle.
    theirs = _report(dispatcher, (39.611, 109.806), scoped.world.categories["06013"], "东胜区路灯不亮")
    assert theirs.street_id == scoped.streets[JIAOTONG].pk
    client.force_login(dispatcher)
    assert client.get(f"/console/cases/{theirs.number}/").status_code == 200
    response = client.post(
        f"/api/cases/{theirs.number}/actions/register", {}, content_type="application/json"
    )
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "forbidden_area"
    assert "康巴什区" in body["message_zh"] and "指挥范围" in body["message_zh"]
    assert "outside your command area" in body["message_en"]
    page = client.post(f"/console/cases/{theirs.number}/actions/register/", {})
    assert "不在您的指挥范围" in page.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == "reported" and not theirs.events.exclude(action="report").exists()
    # The registered case of the other district cannot be reached to be dispatched.
    other = scoped.registered[JIAOTONG]
    response = client.post(f"/api/cases/{other.number}/actions/dispatch", {}, content_type="application/json")
    assert response.status_code == 404
    assert Case.objects.get(pk=other.pk).status == "registered"
    # Inside the district both moves are theirs.
    inside = scoped.new[BINHE]
    response = client.post(
        f"/api/cases/{inside.number}/actions/register", {}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    response = client.post(
        f"/api/cases/{inside.number}/actions/dispatch", {}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    # The case page offers no move on the case outside.
    page = client.get(f"/console/cases/{theirs.number}/").content.decode()
    assert 'id="form-register"' not in page


def test_the_street_dispatcher_may_not_act_in_the_other_street_of_its_district(client, scoped):
    client.force_login(scoped.dispatchers["street"])
    other = scoped.new[BINHE]
    response = client.post(f"/api/cases/{other.number}/actions/register", {}, content_type="application/json")
    assert response.status_code == 404
    assert Case.objects.get(pk=other.pk).status == "reported"


# --- the map ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", SCOPES)
def test_map_layers_cover_only_the_area(client, scoped, scope):
    client.force_login(scoped.dispatchers[scope])
    cases = client.get(f"/api/map/layers/cases?{WHOLE}").json()
    assert {f["properties"]["number"] for f in cases["features"]} == scoped.numbers(SEES[scope])
    density = client.get(f"/api/map/layers/cell_density?{WHOLE}").json()
    assert {f["properties"]["code"][:9] for f in density["features"]} == SEES[scope]  # every cell of the area
    assert {f["properties"]["code"][:9] for f in density["features"] if f["properties"]["value"]} == SEES[
        scope
    ]
    boundaries = client.get(f"/api/map/layers/boundaries?{WHOLE}").json()
    assert {
        f["properties"]["code"] for f in boundaries["features"] if f["properties"]["level"] == "street"
    } == (SEES[scope])
    page = client.get("/map/").content.decode()
    assert ('value="150602001"' in page) == (scope == "city")


def test_a_map_filter_on_a_street_outside_the_area_is_refused(client, scoped):
    client.force_login(scoped.dispatchers["district"])
    response = client.get(f"/api/map/layers/cases?{WHOLE}&street={JIAOTONG}")
    assert response.status_code == 403
    assert response.json()["error"] == "outside_command_area"
    inside = client.get(f"/api/map/layers/cases?{WHOLE}&street={BINHE}").json()
    assert {f["properties"]["number"] for f in inside["features"]} == scoped.numbers({BINHE})


# --- the dashboard, the statistics API and the big screen -------------------------------------------


@pytest.mark.parametrize("scope", SCOPES)
def test_statistics_cover_only_the_area(client, scoped, scope):
    client.force_login(scoped.leaders[scope])
    expected = 2 * len(SEES[scope])
    summary = client.get("/api/stats/summary").json()
    assert summary["flows"]["reported"] == expected
    assert summary["flows"]["registered"] == len(SEES[scope])
    assert summary["now"]["open"] == expected
    by_street = client.get("/api/stats/breakdown?by=street&metric=reported").json()
    assert {r["code"] for r in by_street["rows"]} == SEES[scope]
    ranking = client.get("/api/stats/indicators?group=street").json()
    assert {r["code"] for r in ranking["rows"]} == SEES[scope]
    assert [r["rank"] for r in ranking["rows"]] == list(range(1, len(SEES[scope]) + 1))
    drill = client.get("/api/stats/cases?metric=reported").json()
    assert drill["count"] == expected
    assert {r["number"] for r in drill["rows"]} == scoped.numbers(SEES[scope])
    today = local_today()
    period = f"start={today - timedelta(days=7)}&end={today + timedelta(days=1)}"
    computed = client.get(f"/api/cases/indicators?group=street&{period}").json()
    assert {r["code"] for r in computed["rows"]} == SEES[scope]


@pytest.mark.parametrize("scope", SCOPES)
def test_dashboard_figures_and_ranking_follow_the_area(client, scoped, scope):
    client.force_login(scoped.leaders[scope])
    page = client.get("/dashboard/").content.decode()
    for metric in ("open", "reported"):  # now open; reported today (the first "reported" tile)
        tile = re.search(rf'data-metric="{metric}".*?data-value="(\d+)"', page, re.S)
        assert tile is not None and int(tile.group(1)) == 2 * len(SEES[scope]), metric
    for code, street in scoped.streets.items():
        assert (street.name in page) == (code in SEES[scope]), street.name
    listed = client.get("/dashboard/cases/?metric=reported").content.decode()
    assert set(re.findall(r"/console/cases/(\d+)/", listed)) == scoped.numbers(SEES[scope])


def test_a_dashboard_filter_on_a_street_outside_the_area_is_refused(client, scoped):
    client.force_login(scoped.leaders["district"])
    assert client.get(f"/dashboard/?street={JIAOTONG}").status_code == 403
    assert client.get(f"/api/stats/summary?street={JIAOTONG}").status_code == 403
    assert client.get(f"/dashboard/?street={BINHE}").status_code == 200
    # A breakdown row of a street outside the area lists no case.
    other = scoped.streets[JIAOTONG].pk
    drill = client.get(f"/api/stats/cases?metric=reported&by=street&key={other}").json()
    assert drill == {"count": 0, "page": 1, "rows": []}


@pytest.mark.parametrize("scope", SCOPES)
def test_the_big_screen_shows_the_area(client, scoped, scope):
    client.force_login(scoped.leaders[scope])
    data = client.get("/dashboard/screen.json").json()
    assert data["month"]["reported"] == 2 * len(SEES[scope])
    assert data["now"]["open"] == 2 * len(SEES[scope])
    assert {r["code"] for r in data["streets"]} == SEES[scope]
    page = client.get("/screen/")
    assert page.status_code == 200
    config = page.content.decode()
    if scope == "street":  # the map opens on the street: 青春山街道 ends at lon 109.79
        assert "109.79" in config and "109.81" not in config


def test_red_lights_reach_the_leaders_of_the_cases_area(scoped, settings):
    settings.CIVICGRID_OVERDUE_DIGEST = "hourly"  # a digest whatever the hour of the day
    import time_machine

    from civicgrid.cases import tasks
    from civicgrid.core import clock
    from civicgrid.notifications.models import Notification

    with time_machine.travel(clock.now() + timedelta(days=30), tick=False):
        assert tasks.scan_overdue() == 6  # every case of the fixture: its 立案 or 派遣 step
        digests = tasks.red_cases_by_person(clock.now())
        tasks.overdue_digest()
    for scope in SCOPES:
        leader = scoped.leaders[scope]
        assert set(digests[leader]) == scoped.numbers(SEES[scope]), scope
        # One digest each, naming only the area's cases (up to the digest's list length).
        (told,) = Notification.objects.filter(recipient=leader, dedupe_key__startswith="overdue-digest:")
        named = set(re.findall(r"\d{13}", told.title + told.body))
        assert named and named <= scoped.numbers(SEES[scope]), scope


# --- exports ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", SCOPES)
def test_exports_hold_only_the_area(client, scoped, scope):
    client.force_login(scoped.dispatchers[scope])
    rows = csv_rows(client.get("/dashboard/exports/queue/all.csv"))
    numbers = {r[0] for r in rows if r and r[0].isdigit()}
    assert numbers == scoped.numbers(SEES[scope])
    rows = csv_rows(client.get("/dashboard/cases/?metric=reported&format=csv"))
    assert {r[0] for r in rows if r and r[0].isdigit()} == scoped.numbers(SEES[scope])
    rows = csv_rows(client.get("/dashboard/indicators.csv?group=street"))
    names = {cell for row in rows for cell in row}
    for code, street in scoped.streets.items():
        assert (street.name in names) == (code in SEES[scope])
    from openpyxl import load_workbook

    response = client.get("/dashboard/reports/monthly.xlsx?month=" + _this_month())
    assert response.status_code == 200
    book = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    values = {str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row}
    for code, street in scoped.streets.items():
        assert (street.name in values) == (code in SEES[scope])


def _this_month() -> str:
    return f"{local_today():%Y-%m}"


# --- the scope itself --------------------------------------------------------------------------------


def test_the_admin_gives_a_dispatcher_a_district(client, scoped):
    from civicgrid.accounts.models import User

    dispatcher = scoped.world.dispatcher
    client.force_login(scoped.world.admin)
    url = f"/admin/accounts/user/{dispatcher.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="command_area"' in page.content.decode()
    form = {
        "phone": dispatcher.phone,
        "real_name": dispatcher.real_name,
        "role": dispatcher.role,
        "department": dispatcher.department_id,
        "command_area": "150603",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.get(pk=dispatcher.pk).command_area == "150603"
    client.force_login(User.objects.get(pk=dispatcher.pk))
    assert queue_rows(client.get("/console/queue/new/")) == scoped.numbers(SEES["district"], which="new")
    # A code of no district or street, or not a code at all: refused, nothing saved.
    client.force_login(scoped.world.admin)
    for code, message in (
        ("150699", "没有代码为 150699 的区县或街道"),
        ("1506", "6 位区县代码或 9 位街道编码"),
    ):
        response = client.post(url, {**form, "command_area": code})
        assert response.status_code == 200 and message in response.content.decode()
        assert User.objects.get(pk=dispatcher.pk).command_area == "150603"


def test_a_command_area_is_refused_to_a_handler(scoped):
    from civicgrid.core.errors import DomainError
    from civicgrid.grids.services import command_area_assign

    handler = scoped.world.roads_handler
    with pytest.raises(DomainError, match="only dispatchers and leaders") as refused:
        command_area_assign(user=handler, code="150603")
    assert "只有受理员/值班长和领导" in refused.value.message_zh
    handler.refresh_from_db()
    assert handler.command_area == ""


def test_the_command_area_is_named_on_the_pages_in_both_languages(client, scoped):
    from civicgrid.core.tests.test_english import choose_english

    client.force_login(scoped.leaders["district"])
    for url in ("/console/queue/all/", "/dashboard/", "/map/"):
        assert "指挥范围：康巴什区" in re.sub(r"<[^>]+>", "", client.get(url).content.decode()), url
    assert "康巴什区指挥中心" in client.get("/screen/").content.decode()
    # The requests switch this thread's language: it is given back after them, for the tests that follow.
    with translation.override(translation.get_language()):
        choose_english(client)
        page = client.get("/console/queue/all/").content.decode()
        assert "Command area：康巴什区" in re.sub(r"<[^>]+>", "", page)
        assert "康巴什区 command centre" in client.get("/screen/").content.decode()
