"""/api/stats/: who may read it, the contract the dashboard pages code against, refusals, drill-down
pages and pinned query counts."""

from __future__ import annotations

import json
from datetime import date

import pytest
import time_machine

from civicgrid.accounts.clients import api_personal_key_issue
from civicgrid.analytics import rollups, selectors
from civicgrid.analytics.selectors import StatsFilter
from civicgrid.analytics.tests.conftest import NOW
from civicgrid.analytics.tests.test_figures import WEEK
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.helpers import as_user

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-11-20", "end": "2026-11-30"}


@pytest.fixture
def leader(client, history, routed_world):
    with time_machine.travel(NOW, tick=False):
        yield as_user(client, routed_world.leader)


def get(client, path, **params):
    return client.get(f"/api/stats/{path}", params)


def test_only_city_viewers(client, history, routed_world):
    w = routed_world
    assert get(client, "summary").status_code == 401
    for user in (w.citizen, w.grid_member, w.roads_handler, w.department_admin, w.inspector):
        r = get(as_user(client, user), "summary")
        assert r.status_code == 403 and r.json()["error"] == "forbidden_role", user.role
    for user in (w.dispatcher, w.leader, w.admin):
        assert get(as_user(client, user), "summary").status_code == 200, user.role
    client.logout()
    _, raw = api_personal_key_issue(user=w.leader, name="大屏")
    assert client.get("/api/stats/summary", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_summary_contract(leader, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):  # session, user, rollup sum, open-case counts
        body = get(leader, "summary", **PERIOD).json()
    assert set(body) == {"period", "flows", "rates", "now"}
    assert body["period"] == {"start": "2026-11-20", "end": "2026-11-30"}
    assert set(body["flows"]) == {
        "reported",
        "registered",
        "dispatched",
        "handled",
        "closed",
        "rejected",
        "merged",
        "reworked",
        "rated",
        "satisfied",
    }
    assert set(body["rates"]) == {
        "on_time_registration_rate",
        "on_time_handling_rate",
        "on_time_closing_rate",
        "closing_rate",
        "rework_rate",
        "satisfaction_rate",
    }
    assert set(body["now"]) == {"open", "yellow", "red", "supervised", "long_term"}
    assert body == selectors.summary(StatsFilter(*WEEK))
    assert body["flows"]["reported"] == 11


def test_summary_default_period_is_this_month(leader):
    body = get(leader, "summary").json()
    assert body["period"] == {"start": "2026-11-01", "end": "2026-11-30"}


def test_filters_by_code(leader, routed_world, categories):
    body = get(leader, "summary", **PERIOD, street="150603001", department="ZJJ-SZ", category="06013").json()
    f = StatsFilter(
        *WEEK,
        street_id=routed_world.street.pk,
        department_id=routed_world.departments["ZJJ_SZ"].pk,
        category_id=categories["06013"].pk,
    )
    assert body == selectors.summary(f)
    assert body["flows"]["dispatched"] == selectors.drilldown("dispatched", f).count() > 0


@pytest.mark.parametrize(
    ("params", "status", "error", "field"),
    [
        ({"street": "999999999"}, 422, "street_unknown", "street"),
        ({"department": "NOPE"}, 422, "department_unknown", "department"),
        ({"category": "99999"}, 422, "category_unknown", "category"),
        ({"start": "2026-11-30", "end": "2026-11-01"}, 422, "period_invalid", "start"),
        ({"start": "2026-13-01"}, 422, "invalid_input", "start"),
    ],
)
def test_bad_filters_are_refused(leader, params, status, error, field):
    r = get(leader, "summary", **params)
    assert r.status_code == status
    assert r.json()["error"] == error and r.json()["field"] == field


@pytest.mark.parametrize("path", ["summary", "trend", "breakdown", "indicators", "cases"])
@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01", "0001-01-05", "start"),
        ("9999-12-25", "9999-12-31", "start"),
        ("2026-11-01", "9999-12-31", "end"),
    ],
)
def test_a_day_beyond_what_the_database_holds_is_refused(leader, path, start, end, field):
    # Year 1 and year 9999 answered 500: a local midnight, the day after or a year earlier overflowed.
    r = get(leader, path, start=start, end=end, by="street")
    assert r.status_code == 422
    assert (r.json()["error"], r.json()["field"]) == ("date_out_of_range", field)


def test_trend(leader, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        body = get(leader, "trend", metric="reported", granularity="day", **PERIOD).json()
    assert body["metric"] == "reported" and body["granularity"] == "day"
    assert len(body["points"]) == 11
    assert body["points"][4] == {"period": "2026-11-24", "value": 2, "last_year": 0}
    weeks = get(leader, "trend", metric="closing_rate", granularity="week", **PERIOD).json()["points"]
    assert [p["period"] for p in weeks] == ["2026-11-16", "2026-11-23", "2026-11-30"]
    r = get(leader, "trend", metric="open")
    assert r.status_code == 422 and r.json()["error"] == "metric_invalid"
    assert get(leader, "trend", granularity="hour").json()["error"] == "granularity_invalid"


def test_breakdown(leader, categories, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):  # + the names of the rows
        body = get(leader, "breakdown", metric="reported", by="category", limit=2, **PERIOD).json()
    assert body["metric"] == "reported" and body["by"] == "category"
    assert [r["code"] for r in body["rows"]] == ["06013", "04002"]
    assert set(body["rows"][0]) == {"key", "code", "name", "value"}
    assert body["rows"][0]["key"] == categories["06013"].pk and body["rows"][0]["name"] == "道路破损"
    red = get(leader, "breakdown", metric="red", by="department").json()["rows"]
    assert sum(r["value"] for r in red) == get(leader, "summary").json()["now"]["red"]
    assert get(leader, "breakdown", by="colour").json()["error"] == "by_invalid"


def test_indicators(leader, routed_world, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        body = get(leader, "indicators", group="department", start="2026-11-23", end="2026-11-27").json()
    roads = next(r for r in body["rows"] if r["code"] == "ZJJ-SZ")
    expected = selectors.ranking("department", StatsFilter(date(2026, 11, 23), date(2026, 11, 27)))
    assert body["rows"] == json.loads(json.dumps([r.as_dict() for r in expected.rows]))
    assert body["thin"] == json.loads(json.dumps([r.as_dict() for r in expected.thin]))
    assert roads["dispatched"] == 5 and roads["composite"] == 68.0  # as in cases/tests/test_indicators.py
    assert [r["rank"] for r in body["rows"]] == list(range(1, len(body["rows"]) + 1))
    assert get(leader, "indicators", group="team").json()["error"] == "group_invalid"
    r = get(leader, "indicators", department="YLZX")
    assert r.status_code == 422 and r.json()["field"] == "department"


def test_cases_behind_a_figure(leader, history, django_assert_max_num_queries):
    figure = get(leader, "summary", **PERIOD).json()["flows"]["dispatched"]
    with django_assert_max_num_queries(5):  # session, user, count, page
        body = get(leader, "cases", metric="dispatched", page_size=5, **PERIOD).json()
    assert body["count"] == figure and body["page"] == 1 and len(body["rows"]) == 5
    row = body["rows"][0]
    assert set(row) == {
        "number",
        "category",
        "status",
        "status_label",
        "light",
        "street",
        "department",
        "created_at",
        "url",
    }
    assert row["url"] == f"/console/cases/{row['number']}/"
    assert leader.get(row["url"]).status_code == 200  # the console page of the case opens
    page2 = get(leader, "cases", metric="dispatched", page_size=5, page=2, **PERIOD).json()
    assert len(page2["rows"]) == figure - 5


def test_cases_behind_a_breakdown_row(leader, history):
    rows = get(leader, "breakdown", metric="reported", by="cell", limit=50, **PERIOD).json()["rows"]
    outside = next(r for r in rows if r["key"] is None)
    body = get(leader, "cases", metric="reported", by="cell", key="none", **PERIOD).json()
    assert body["count"] == outside["value"] == 1
    assert body["rows"][0]["number"] == history["h"].number and body["rows"][0]["street"] == ""
    first = rows[0] if rows[0]["key"] is not None else rows[1]
    assert (
        get(leader, "cases", metric="reported", by="cell", key=str(first["key"]), **PERIOD).json()["count"]
        == first["value"]
    )
    red = get(leader, "cases", metric="red").json()
    assert red["count"] == get(leader, "summary").json()["now"]["red"]
    assert {r["light"] for r in red["rows"]} == {"red"}
    rate = get(leader, "cases", metric="satisfaction_rate", **PERIOD).json()
    assert rate["count"] == get(leader, "summary", **PERIOD).json()["flows"]["satisfied"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"metric": "nonsense"}, "metric_invalid"),
        ({"key": "3"}, "by_required"),
        ({"by": "cell", "key": "x"}, "key_invalid"),
        ({"page": 0}, "page_invalid"),
        ({"page_size": 1000}, "page_invalid"),
    ],
)
def test_cases_refusals(leader, params, error):
    r = get(leader, "cases", **params)
    assert r.status_code == 422 and r.json()["error"] == error


@pytest.mark.parametrize("metric", ["handled", "closed", "rated"])
def test_cases_are_listed_newest_counted_event_first(leader, metric):
    # The order the event index gives without sorting the period's cases (selectors.drill_order).
    f = StatsFilter(*WEEK)
    action = rollups.RULES[metric].action
    events = CaseEvent.objects.filter(
        action=action, created_at__gte=f.start_at, created_at__lt=f.end_before
    ).order_by("-created_at", "-case_id")
    expected = [e.case.number for e in events.select_related("case")]
    body = get(leader, "cases", metric=metric, **PERIOD).json()
    assert [r["number"] for r in body["rows"]] == expected and body["count"] == len(expected) > 1
    newest_case_first = list(
        Case.objects.filter(pk__in=events.values("case_id"))
        .order_by("-created_at", "-id")
        .values_list("number", flat=True)
    )
    assert expected != newest_case_first  # the fixture tells the two orders apart


def test_indicators_rank_only_units_with_enough_cases(leader, settings):
    """No 未派遣 pseudo-department, no department ranked on a handful of cases: those are listed
    apart (样本不足) with their counts, without rank or composite."""
    week = {"start": "2026-11-23", "end": "2026-11-27"}
    # What the formula alone ranks: the pseudo-department and a two-case department on top with 100.
    everything = selectors.indicators("department", StatsFilter(date(2026, 11, 23), date(2026, 11, 27)))
    assert [(r.name, r.dispatched, r.composite) for r in everything][:2] == [
        ("未派遣 (not dispatched)", 0, 100.0),
        ("园林绿化中心", 2, 100.0),
    ]
    body = get(leader, "indicators", group="department", **week).json()
    assert body["min_cases"] == 5 and body["sample"] == "dispatched"
    assert [(r["name"], r["rank"], r["dispatched"], r["composite"]) for r in body["rows"]] == [
        ("住建局市政科", 1, 5, 68.0)
    ]
    assert [(r["name"], r["rank"], r["dispatched"], r["composite"], r["handled"]) for r in body["thin"]] == [
        ("园林绿化中心", None, 2, None, 2)
    ]
    settings.CIVICGRID_RANKING_MIN_CASES = 2
    body = get(leader, "indicators", group="department", **week).json()
    assert [(r["name"], r["rank"]) for r in body["rows"]] == [("园林绿化中心", 1), ("住建局市政科", 2)]
    assert body["thin"] == [] and body["min_cases"] == 2
    # Streets: the sample is the cases registered there; "outside the grid" is no street either.
    streets = get(leader, "indicators", group="street", **week).json()
    assert streets["sample"] == "due_to_close"
    assert all(r["key"] is not None for r in streets["rows"] + streets["thin"])
    assert all(r["due_to_close"] >= 2 for r in streets["rows"])
    assert all(r["due_to_close"] < 2 and r["rank"] is None for r in streets["thin"])
