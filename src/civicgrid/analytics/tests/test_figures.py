"""Every figure == the count of the cases behind it (drill-down) == a direct count; the indicators
read from the rollups == `cases.indicators.compute`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.analytics import rollups, selectors
from civicgrid.analytics.models import COUNTERS
from civicgrid.analytics.selectors import NOW_METRICS, RATES, StatsFilter
from civicgrid.analytics.tests.conftest import NOW
from civicgrid.cases import indicators
from civicgrid.cases.choices import OPEN_STATUSES
from civicgrid.cases.deadlines import light_of
from civicgrid.cases.models import Case
from civicgrid.cases.tests.helpers import NORTH_1, local, move, submit
from civicgrid.core.errors import DomainError

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
WEEK = (date(2026, 11, 20), date(2026, 11, 30))


@pytest.fixture
def frozen(history):
    with time_machine.travel(NOW, tick=False):
        yield history


def filters(world, categories) -> list[StatsFilter]:
    street = world.street.pk
    road = categories["06013"].pk
    roads = world.departments["ZJJ_SZ"].pk
    return [
        StatsFilter(*WEEK),
        StatsFilter(*WEEK, street_id=street),
        StatsFilter(*WEEK, department_id=roads),
        StatsFilter(*WEEK, category_id=road),
        StatsFilter(*WEEK, street_id=street, category_id=road),
        StatsFilter(*WEEK, street_id=street, department_id=roads),  # StreetDepartmentDay
        StatsFilter(*WEEK, department_id=roads, category_id=road),
        StatsFilter(date(2026, 11, 24), date(2026, 11, 24)),
        StatsFilter(date(2026, 11, 1), date(2026, 11, 30)),  # a whole month: the monthly rollups
        StatsFilter(date(2026, 10, 15), date(2026, 12, 5), department_id=roads),  # days, a month, days
    ]


def test_every_figure_equals_its_drilldown(frozen, routed_world, categories):
    seen = dict.fromkeys((*COUNTERS, *NOW_METRICS), 0)
    for f in filters(routed_world, categories):
        for metric in (*COUNTERS, *NOW_METRICS):
            figure = selectors.figure_of(metric, f)
            assert figure == selectors.drilldown(metric, f).count(), (metric, f)
            seen[metric] += figure
    # the fixture exercises every figure (a test of zeros would prove nothing)
    assert all(seen.values()), [m for m, n in seen.items() if not n]


def test_summary_against_direct_counts(frozen, routed_world, categories):
    for f in filters(routed_world, categories):
        s = selectors.summary(f)
        assert s["period"] == {"start": f.start.isoformat(), "end": f.end.isoformat()}
        for metric, value in s["flows"].items():
            assert value == selectors.drilldown(metric, f).count(), metric
        for rate, (num, den) in RATES.items():
            n, d = selectors.drilldown(num, f).count(), selectors.drilldown(den, f).count()
            assert s["rates"][rate] == (round(n / d, 4) if d else None), rate
        open_cases = [
            c
            for c in Case.objects.filter(status__in=OPEN_STATUSES)
            if all(getattr(c, f"{k}_id") == v for k, v in f.dims.items())
        ]
        lights = [light_of(c, NOW) for c in open_cases]
        assert s["now"] == {
            "open": len(open_cases),
            "yellow": lights.count("yellow"),
            "red": lights.count("red"),
            "supervised": sum(c.supervised for c in open_cases),
            "long_term": sum(c.status == "long_term" for c in open_cases),
        }


def test_summary_of_the_week(frozen):
    s = selectors.summary(StatsFilter(date(2026, 11, 23), date(2026, 11, 27)))
    # the indicators' week (A–G) plus H, J (reported 11-24), K (merged into B on 11-25)
    assert s["flows"] == {
        "reported": 9,
        "registered": 7,
        "dispatched": 7,
        "handled": 5,
        "closed": 4,
        "rejected": 1,
        "merged": 1,
        "reworked": 1,
        "rated": 3,
        "satisfied": 2,
    }
    assert s["rates"]["rework_rate"] == 0.2
    assert s["now"] == {"open": 6, "yellow": 1, "red": 2, "supervised": 1, "long_term": 1}


@pytest.mark.parametrize("by", selectors.DIMENSIONS)
def test_breakdown_rows_equal_their_drilldown(frozen, routed_world, categories, by):
    for f in filters(routed_world, categories)[:4]:
        for metric in (
            "reported",
            "registered",
            "dispatched",
            "handled",
            "due_to_close",
            "closed_now",
            "open",
            "red",
            "satisfaction_rate",
        ):
            rows = selectors.breakdown(metric, f, by, limit=500)["rows"]
            for row in rows:
                if metric in RATES:
                    num, den = RATES[metric]
                    n = selectors.drilldown(num, f, by=by, key=row["key"]).count()
                    d = selectors.drilldown(den, f, by=by, key=row["key"]).count()
                    assert row["value"] == round(n / d, 4)
                else:
                    assert row["value"] == selectors.drilldown(metric, f, by=by, key=row["key"]).count()
                    assert row["value"] == selectors.figure_of(metric, f, by=by, key=row["key"])
            if metric not in RATES:
                assert sum(r["value"] for r in rows) == selectors.figure_of(metric, f), (metric, by, f)
            assert [r["value"] for r in rows] == sorted((r["value"] for r in rows), reverse=True)


def test_breakdown_names_and_none_rows(frozen, routed_world, categories):
    f = StatsFilter(*WEEK)
    rows = {r["code"]: r for r in selectors.breakdown("reported", f, "category")["rows"]}
    assert (
        rows["06013"]["name"] == categories["06013"].name and rows["06013"]["key"] == categories["06013"].pk
    )
    cells = selectors.breakdown("reported", f, "cell")["rows"]
    assert any(r["key"] is None and r["name"].startswith("网格外") for r in cells)  # H, by the lake
    channels = {r["key"]: r for r in selectors.breakdown("reported", f, "channel")["rows"]}
    assert channels["grid"]["value"] == 1 and channels["grid"]["name"] == "网格员上报"
    assert len(selectors.breakdown("reported", f, "category", limit=1)["rows"]) == 1


def test_cell_breakdown_under_a_category_or_department_filter_reads_the_cell_cube(
    frozen, routed_world, categories
):
    # cell × department × category: CellCubeDay/CellCubeMonth, never the cases (millions of events).
    road, roads = categories["06013"].pk, routed_world.departments["ZJJ_SZ"].pk
    seen = 0
    for f in (
        StatsFilter(*WEEK, category_id=road),
        StatsFilter(*WEEK, department_id=roads),
        StatsFilter(*WEEK, street_id=routed_world.street.pk, category_id=road),
        StatsFilter(date(2026, 10, 15), date(2026, 12, 5), department_id=roads, category_id=road),
    ):
        for metric in ("reported", "dispatched", "closed_now", "on_time_handling_rate"):
            with CaptureQueriesContext(connection) as queries:
                rows = selectors.breakdown(metric, f, "cell", limit=50)["rows"]
            tables = [q["sql"] for q in queries.captured_queries if "analytics_" in q["sql"]]
            assert tables and all("analytics_cellcube" in sql for sql in tables), tables
            assert not any("cases_case" in q["sql"] for q in queries.captured_queries)
            for row in rows:
                for counter in selectors._counters_of(metric):
                    assert (
                        selectors.figure_of(counter, f, by="cell", key=row["key"])
                        == selectors.drilldown(counter, f, by="cell", key=row["key"]).count()
                    )
                if metric not in RATES:
                    assert row["value"] == selectors.drilldown(metric, f, by="cell", key=row["key"]).count()
            if metric not in RATES:
                assert sum(r["value"] for r in rows) == selectors.figure_of(metric, f)
            seen += len(rows)
    assert seen
    f = StatsFilter(*WEEK, category_id=road)
    assert selectors.top_places("reported", f)["rows"] == selectors.breakdown("reported", f, "cell")["rows"]


@pytest.mark.parametrize("group", ["department", "street", "cell"])
def test_indicators_from_rollups_equal_compute(frozen, routed_world, group):
    street = routed_world.street.pk
    for (start, end), street_id in [
        ((date(2026, 11, 23), date(2026, 11, 27)), None),
        (WEEK, None),
        ((date(2026, 11, 23), date(2026, 11, 27)), street),
    ]:
        from_rollups = selectors.indicators(group, StatsFilter(start, end, street_id=street_id))
        reference = indicators.compute(
            group=group,
            start=datetime.combine(start, time.min, tzinfo=SH),
            end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=SH),
            street_id=street_id,
        )
        assert [r.as_dict() for r in from_rollups] == [r.as_dict() for r in reference]
        assert from_rollups


def test_indicators_refuse_other_filters(frozen, routed_world):
    with pytest.raises(DomainError) as exc:
        selectors.indicators(
            "department", StatsFilter(*WEEK, department_id=routed_world.departments["YLZX"].pk)
        )
    assert exc.value.code == "filter_unsupported"


def test_trend_per_day_week_month_with_last_year(frozen, routed_world, categories):
    # One report a year earlier (and one more on 2025-11-30) for the year-on-year values.
    with time_machine.travel(local(2025, 11, 24, 9), tick=False) as t:
        submit(routed_world.citizen, NORTH_1, category=categories["04002"])
        t.move_to(local(2025, 11, 30, 9))
        old = submit(routed_world.citizen, NORTH_1, category=categories["04002"])
        move(old, "reject", routed_world.dispatcher, "重复")
    rollups.apply_pending()
    f = StatsFilter(*WEEK)
    days = selectors.trend("reported", f, "day")
    assert days["metric"] == "reported" and days["granularity"] == "day"
    assert [p["period"] for p in days["points"]] == [
        (WEEK[0] + timedelta(days=i)).isoformat() for i in range(11)
    ]
    for p in days["points"]:
        day = date.fromisoformat(p["period"])
        assert p["value"] == selectors.drilldown("reported", StatsFilter(day, day)).count()
    by_day = {p["period"]: p for p in days["points"]}
    assert by_day["2026-11-24"]["last_year"] == 1 and by_day["2026-11-30"]["last_year"] == 1
    assert sum(p["last_year"] for p in days["points"]) == 2

    weeks = selectors.trend("reported", f, "week")["points"]
    assert [p["period"] for p in weeks] == ["2026-11-16", "2026-11-23", "2026-11-30"]
    assert sum(p["value"] for p in weeks) == selectors.figure_of("reported", f)
    months = selectors.trend("rejected", StatsFilter(date(2026, 10, 1), date(2026, 11, 30)), "month")[
        "points"
    ]
    assert months == [
        {"period": "2026-10-01", "value": 0, "last_year": 0},
        {"period": "2026-11-01", "value": 1, "last_year": 1},
    ]
    rate = selectors.trend("on_time_registration_rate", f, "week")["points"]
    assert rate[1]["value"] == round(
        selectors.figure_of("registered_on_time", StatsFilter(date(2026, 11, 23), date(2026, 11, 29)))
        / selectors.figure_of("registered", StatsFilter(date(2026, 11, 23), date(2026, 11, 29))),
        4,
    )


def test_bad_inputs_are_refused(frozen):
    f = StatsFilter(*WEEK)
    for call, code in [
        (lambda: StatsFilter(date(2026, 11, 2), date(2026, 11, 1)), "period_invalid"),
        (lambda: StatsFilter(date(2020, 1, 1), date(2026, 11, 1)), "period_too_long"),
        (lambda: selectors.trend("open", f), "metric_invalid"),
        (lambda: selectors.trend("reported", f, "year"), "granularity_invalid"),
        (lambda: selectors.breakdown("reported", f, "colour"), "by_invalid"),
        (lambda: selectors.drilldown("nonsense", f), "metric_invalid"),
    ]:
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code == code


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan without statistics")
def test_now_figures_read_the_open_case_index(frozen, routed_world, categories):
    # Planned with its parameters unbound, as the request runs it: not the status index (12 000 case
    # rows at a million cases) nor the index of all the street's or category's cases (300 ms).
    street, category = routed_world.street.pk, categories["06013"].pk
    for f in (
        StatsFilter(*WEEK),
        StatsFilter(*WEEK, street_id=street),
        StatsFilter(*WEEK, category_id=category),
    ):
        sql, params = (
            selectors._open_cases(f)
            .order_by()
            .values("due_at", "warn_at", "supervised")
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            plan = " ".join(
                str(row) for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            )
        assert "case_open_idx" in plan, (f, plan)
