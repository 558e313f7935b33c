"""The dashboard page: who may open it, its figures against direct counts, drill-down count == figure."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from civicgrid.analytics import selectors as stats
from civicgrid.cases.choices import OPEN_STATUSES, Action, CaseStatus, Rating
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core import clock
from civicgrid.dashboard.forms import Filters, local_today

pytestmark = pytest.mark.django_db

URLS = [
    "/dashboard/",
    "/dashboard/cases/?metric=reported",
    "/screen/",
    "/dashboard/screen.json",
    "/dashboard/breakdown.csv?by=category",
    "/dashboard/indicators.xlsx?group=street",
    "/dashboard/reports/monthly.xlsx?month=2026-10",
]

# Independent of the analytics app: which event each flow figure counts.
FLOW_ACTIONS = {
    "reported": Action.REPORT,
    "registered": Action.REGISTER,
    "dispatched": Action.DISPATCH,
    "handled": Action.FEEDBACK,
    "closed": Action.CLOSE,
    "reworked": Action.REWORK,
    "rated": Action.RATE,
    "rejected": Action.REJECT,
}


def _bounds(start, end):
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(
        end + timedelta(days=1), time.min, tzinfo=tz
    )


def direct_flow(metric: str, start, end, **case_filter) -> int:
    lo, hi = _bounds(start, end)
    events = CaseEvent.objects.filter(created_at__gte=lo, created_at__lt=hi)
    if metric == "satisfied":
        events = events.filter(action=Action.RATE, data__rating__in=[Rating.SATISFIED, Rating.BASICALLY])
    else:
        events = events.filter(action=FLOW_ACTIONS[metric])
    if case_filter:
        events = events.filter(**{f"case__{k}": v for k, v in case_filter.items()})
    return events.count()


def direct_now(metric: str) -> int:
    now = clock.now()
    qs = Case.objects.filter(status__in=OPEN_STATUSES)
    return {
        "open": qs,
        "red": qs.filter(due_at__lt=now),
        "yellow": qs.filter(due_at__gte=now, warn_at__lte=now),
        "supervised_open": qs.filter(supervised=True),
        "long_term": qs.filter(status=CaseStatus.LONG_TERM),
    }[metric].count()


def drill_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    count = response.context["result"]["count"]
    # The page says it too, and lists at most one page of the cases with links to their console page.
    assert f'data-count="{count}"' in response.content.decode()
    assert len(response.context["result"]["rows"]) == min(count, 50)
    return count


@pytest.mark.parametrize(
    "persona", ["citizen", "grid_member", "roads_handler", "department_admin", "inspector"]
)
def test_others_are_refused(city, client, persona):
    client.force_login(getattr(city, persona))
    for url in URLS:
        assert client.get(url).status_code == 403, url


def test_anonymous_goes_to_login(city, client):
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


@pytest.mark.parametrize("persona", ["dispatcher", "leader", "admin"])
def test_city_viewers_open_every_page(history, client, persona):
    client.force_login(getattr(history, persona))
    for url in URLS:
        assert client.get(url).status_code == 200, url


def test_every_tile_equals_a_direct_count_and_its_drill_down(history, client):
    client.force_login(history.leader)
    response = client.get("/dashboard/?period=30d")
    ctx = response.context
    f = ctx["filters"]
    today = local_today()
    assert (f.start, f.end) == (today - timedelta(days=29), today)
    checked = 0
    for tile in ctx["today_tiles"]:
        assert tile["raw"] == direct_flow(tile["metric"], today, today), tile["metric"]
        assert drill_count(client, tile["url"]) == tile["raw"], tile["metric"]
        checked += 1
    for tile in ctx["period_tiles"]:
        assert tile["raw"] == direct_flow(tile["metric"], f.start, f.end), tile["metric"]
        assert drill_count(client, tile["url"]) == tile["raw"], tile["metric"]
        checked += 1
    for tile in ctx["now_tiles"]:
        assert tile["raw"] == direct_now(tile["metric"]), tile["metric"]
        assert drill_count(client, tile["url"]) == tile["raw"], tile["metric"]
        checked += 1
    for tile in ctx["rate_tiles"]:
        numerator, denominator = stats.RATES[tile["metric"]]
        n, d = stats.figure_of(numerator, f.stats()), stats.figure_of(denominator, f.stats())
        assert tile["raw"] == (round(n / d, 4) if d else None), tile["metric"]
        assert drill_count(client, tile["url"]) == n, tile["metric"]  # a rate lists its numerator
        checked += 1
    assert checked == 4 + 8 + 5 + 6
    # The fixture is not trivial: the figures are not all zero.
    assert all(t["raw"] for t in ctx["period_tiles"][:5]) and ctx["now_tiles"][2]["raw"]
    html = response.content.decode()
    for tile in ctx["period_tiles"] + ctx["now_tiles"]:
        assert tile["url"].replace("&", "&amp;") in html


def test_filters_narrow_the_figures(history, client):
    client.force_login(history.dispatcher)
    category = history.categories["06013"]
    department = history.departments["ZJJ_SZ"]
    response = client.get(f"/dashboard/?period=quarter&category=matter:06013&street={history.street.code}")
    f = response.context["filters"]
    reported = {t["metric"]: t["raw"] for t in response.context["period_tiles"]}["reported"]
    assert reported == direct_flow("reported", f.start, f.end, category=category, street=history.street)
    assert 0 < reported < direct_flow("reported", f.start, f.end)
    # A department filter counts the department's own moves (the event's department).
    response = client.get(f"/dashboard/?period=quarter&department={department.code}")
    tiles = {t["metric"]: t for t in response.context["period_tiles"]}
    lo, hi = _bounds(f.start, f.end)
    assert (
        tiles["handled"]["raw"]
        == CaseEvent.objects.filter(
            action=Action.FEEDBACK, department=department, created_at__gte=lo, created_at__lt=hi
        ).count()
        > 0
    )
    assert drill_count(client, tiles["handled"]["url"]) == tiles["handled"]["raw"]
    # A report has no department yet (the page says so next to the figures).
    assert tiles["reported"]["raw"] == 0 and "上报时案件尚无部门" in response.content.decode()
    # The filters stay in the URL of every link on the page.
    assert f"department={department.code}" in tiles["handled"]["url"]


def test_custom_dates_and_bad_input(history, client):
    client.force_login(history.leader)
    today = local_today()
    start = today - timedelta(days=50)
    response = client.get(f"/dashboard/?start={start}&end={today - timedelta(days=10)}")
    tiles = {t["metric"]: t["raw"] for t in response.context["period_tiles"]}
    assert tiles["reported"] == direct_flow("reported", start, today - timedelta(days=10))
    for query in (
        "start=2026-02-30",
        "start=2026-10-05&end=2026-10-01",
        "street=nope",
        "department=XX",
        "category=77777",
        "period=century",
    ):
        response = client.get(f"/dashboard/?{query}")
        assert response.status_code == 400, query
    for query in ("metric=nope", "metric=reported&by=planet&key=1", "metric=reported&by=street&key=abc"):
        assert client.get(f"/dashboard/cases/?{query}").status_code == 400, query


def test_every_breakdown_row_drills_down_to_as_many_cases(history, client):
    client.force_login(history.dispatcher)
    response = client.get("/dashboard/?period=quarter")
    f = response.context["filters"]
    seen = 0
    for card in response.context["breakdowns"]:
        data = stats.breakdown(card["metric"], f.stats(), card["by"], card["limit"])
        for row in data["rows"]:
            key = "none" if row["key"] is None else row["key"]
            url = f"/dashboard/cases/?{f.query(metric=card['metric'], by=card['by'], key=key)}"
            assert drill_count(client, url) == row["value"], (card["by"], row)
            seen += 1
        # The rows of a whole breakdown add up to the figure (every row shown: fewer than the limit).
        assert sum(r["value"] for r in data["rows"]) == direct_flow(card["metric"], f.start, f.end), card[
            "by"
        ]
    assert seen >= 8
    # The chart elements carry the same API URL and drill-down base as the page's filters.
    html = response.content.decode()
    assert 'data-api="/api/stats/breakdown?' in html and 'data-drill="/dashboard/cases/?' in html


def test_indicator_tables_rank_and_link_their_figures(history, client):
    client.force_login(history.leader)
    response = client.get("/dashboard/?period=quarter")
    f = response.context["filters"]
    rows = response.context["department_rows"]
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    assert [r.composite for r in rows] == sorted((r.composite for r in rows), reverse=True)
    html = response.content.decode()
    links = re.findall(r'data-field="(\w+)"><a href="(/dashboard/cases/\?[^"]+)">(\d+)</a>', html)
    assert len(links) >= 10
    for field, url, value in links:
        assert drill_count(client, url.replace("&amp;", "&")) == int(value), (field, url)
    street_rows = response.context["street_rows"]
    assert street_rows and street_rows[0].code == history.street.code
    assert f.stats().street_id is None


def test_drill_down_lists_cases_with_console_links(history, client):
    client.force_login(history.dispatcher)
    response = client.get("/dashboard/cases/?period=quarter&metric=red")
    rows = response.context["result"]["rows"]
    assert rows and all(r["light"] == "red" for r in rows)
    html = response.content.decode()
    assert f'href="/console/cases/{rows[0]["number"]}/"' in html
    # The list is one page at a time; page 2 of a short list is page 1.
    assert client.get("/dashboard/cases/?period=quarter&metric=red&page=9").context["result"]["page"] == 1


def test_english_switch(history, client):
    client.force_login(history.leader)
    client.cookies["django_language"] = "en"
    html = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Dashboard" in html and "On-time handling rate" in html and "Top 10 problems" in html
    html = client.get("/screen/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "City Operations Command Centre" in html and "Refreshes every 30 s" in html


def test_the_big_screen_ranks_only_departments_and_streets_with_enough_cases(history, client, settings):
    client.force_login(history.leader)
    month = Filters(start=local_today().replace(day=1), end=local_today())
    ranking = stats.ranking("department", month.stats())
    body = client.get("/dashboard/screen.json").json()
    assert [d["name"] for d in body["departments"]] == [r.name for r in ranking.rows]
    assert all(d["key"] is not None and d["rank"] for d in body["departments"])
    settings.CIVICGRID_RANKING_MIN_CASES = 10_000  # nobody has that many: nobody is ranked
    body = client.get("/dashboard/screen.json").json()
    assert body["departments"] == [] and body["streets"] == []


def test_the_big_screen_says_why_a_ranking_is_empty(history, client, settings):
    # With no unit above the threshold the ranking panels are empty: the screen carries the reason.
    settings.CIVICGRID_RANKING_MIN_CASES = 10_000
    client.force_login(history.leader)
    assert client.get("/dashboard/screen.json").json()["departments"] == []
    page = client.get("/screen/").content.decode()
    labels = json.loads(
        re.search(r'<script id="screen-labels" type="application/json">(.*?)</script>', page).group(1)
    )
    assert labels["too_few"] == "本月各单位案件均不足 10000 件，暂不排名"
