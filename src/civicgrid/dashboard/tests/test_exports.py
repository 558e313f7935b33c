"""Exports read back with openpyxl / csv and compared with the figures they come from."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from civicgrid.analytics import selectors as stats
from civicgrid.cases.models import Case, CaseDeadline
from civicgrid.core import clock
from civicgrid.dashboard.forms import Filters, local_today

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response):
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment;" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def quarter() -> Filters:
    today = local_today()
    return Filters(start=today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), end=today)


def test_drill_down_list_exports_every_case_behind_the_figure(history, client):
    client.force_login(history.dispatcher)
    f = quarter()
    query = f.query(metric="handled", by="department", key=history.departments["ZJJ_SZ"].pk)
    figure = stats.drilldown(
        "handled", f.stats(), by="department", key=history.departments["ZJJ_SZ"].pk
    ).count()
    assert figure > 0
    rows = read_csv(client.get(f"/dashboard/cases/?{query}&format=csv"))
    assert rows[0][:3] == ["案件编号", "状态", "时限灯"]
    assert len(rows) - 1 == figure
    numbers = {r[0] for r in rows[1:]}
    assert {r[9] for r in rows[1:]} == {"住建局市政科"}  # the department column
    wb = read_xlsx(client.get(f"/dashboard/cases/?{query}&format=xlsx"))
    ws = wb.active
    values = list(ws.values)
    header = values[1]  # a line of notes (period, filters) first
    assert "处置数" in values[0][0] and header[0] == "案件编号"
    assert len(values) - 2 == figure and {v[0] for v in values[2:]} == numbers
    created = header.index("上报时间")
    assert all(hasattr(v[created], "year") for v in values[2:])  # real dates, not text


def test_personal_data_is_masked_unless_the_viewer_may_see_it(history, client):
    f = quarter()
    query = f.query(metric="reported", by="channel", key="app")
    client.force_login(history.dispatcher)  # VIEW_PERSONAL_DATA
    rows = read_csv(client.get(f"/dashboard/cases/?{query}&format=csv"))
    reporter = rows[0].index("上报人")
    assert rows[1:] and {r[reporter] for r in rows[1:]} == {"王芳"}
    client.force_login(history.leader)  # sees the city, not the people
    rows = read_csv(client.get(f"/dashboard/cases/?{query}&format=csv"))
    assert {r[reporter] for r in rows[1:]} == {"王*"}


def test_breakdown_export_matches_the_breakdown(history, client):
    client.force_login(history.leader)
    f = quarter()
    for by, metric in (("category", "reported"), ("department", "dispatched"), ("channel", "reported")):
        data = stats.breakdown(metric, f.stats(), by, 500)
        rows = read_csv(client.get(f"/dashboard/breakdown.csv?{f.query(metric=metric, by=by)}"))
        assert [(r[2], int(r[3])) for r in rows[1:]] == [(d["name"], d["value"]) for d in data["rows"]], by
        ws = read_xlsx(client.get(f"/dashboard/breakdown.xlsx?{f.query(metric=metric, by=by)}")).active
        assert [(r[2], r[3]) for r in list(ws.values)[2:]] == [
            (d["name"], d["value"]) for d in data["rows"]
        ], by
    assert client.get(f"/dashboard/breakdown.pdf?{f.query(by='category')}").status_code == 400
    assert client.get(f"/dashboard/breakdown.csv?{f.query(by='galaxy')}").status_code == 400
    assert client.get(f"/dashboard/breakdown.csv?{f.query(by='category', limit='x')}").status_code == 400


def test_indicator_exports_match_the_ranking(history, client):
    client.force_login(history.leader)
    f = quarter()
    ranking = stats.ranking("department", f.stats())
    expected = ranking.rows + ranking.thin
    ws = read_xlsx(client.get(f"/dashboard/indicators.xlsx?{f.query(group='department')}")).active
    values = list(ws.values)
    header = values[1]
    got = [dict(zip(header, row, strict=True)) for row in values[2:]]
    assert [(g["排名"], g["名称"], g["派遣数"], g["综合指标"]) for g in got] == [
        (r.rank or "样本不足", r.name, r.dispatched, r.composite) for r in expected
    ]
    assert [g["按期处置率"] for g in got] == [r.on_time_handling_rate for r in expected]
    assert "未派遣 (not dispatched)" not in [g["名称"] for g in got]
    rows = read_csv(client.get(f"/dashboard/indicators.csv?{f.query(group='street')}"))
    streets = stats.ranking("street", f.stats())
    assert [(r[0], r[2]) for r in rows[1:]] == [
        (str(s.rank or "样本不足"), s.name) for s in streets.rows + streets.thin
    ]
    # The department filter does not narrow the indicators (defined over all of a department's cases).
    rows_filtered = read_csv(
        client.get(f"/dashboard/indicators.csv?{f.query(group='street', department='YLZX')}")
    )
    assert rows_filtered == rows


def test_monthly_report_has_three_sheets_that_match_the_figures(history, client):
    client.force_login(history.leader)
    today = local_today()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month: complete
    last = today.replace(day=1) - timedelta(days=1)
    month = f"{first:%Y-%m}"
    department = history.departments["ZJJ_SZ"]
    wb = read_xlsx(client.get(f"/dashboard/reports/monthly.xlsx?month={month}&department={department.code}"))
    assert wb.sheetnames == ["部门绩效排名", "街道排名", "超时案件"]
    f = Filters(start=first, end=last)
    departments = list(wb["部门绩效排名"].values)
    assert month in departments[0][0] and department.name in departments[0][0]
    ranking = stats.ranking("department", f.stats())
    assert [(r[0], r[2]) for r in departments[2:]] == [
        (d.rank or "样本不足", d.name) for d in ranking.rows + ranking.thin
    ]
    streets = list(wb["街道排名"].values)
    ranking = stats.ranking("street", f.stats())
    assert [(r[0], r[2]) for r in streets[2:]] == [
        (s.rank or "样本不足", s.name) for s in ranking.rows + ranking.thin
    ]
    late = list(wb["超时案件"].values)
    header = late[1]
    # Direct: steps of this department's cases due in that month and missed (late, or still open past due).
    lo, hi = f.stats().start_at, f.stats().end_before
    missed = [
        d
        for d in CaseDeadline.objects.filter(case__department=department, due_at__gte=lo, due_at__lt=hi)
        if (d.completed_at or clock.now()) > d.due_at
    ]
    assert missed and len(late) - 2 == len(missed)
    assert {r[header.index("案件编号")] for r in late[2:]} == {
        Case.objects.get(pk=d.case_id).number for d in missed
    }
    assert all(r[header.index("处置部门")] == department.name for r in late[2:])
    # The city report lists every department's late steps.
    wb = read_xlsx(client.get(f"/dashboard/reports/monthly.xlsx?month={month}"))
    assert len(list(wb["超时案件"].values)) - 2 >= len(missed)


@pytest.mark.parametrize(
    "query", ["month=2026-13", "month=", "month=2026-10&department=NOPE", "month=2999-01"]
)
def test_monthly_report_bad_input(city, client, query):
    client.force_login(city.leader)
    response = client.get(f"/dashboard/reports/monthly.xlsx?{query}")
    assert response.status_code == 400
    assert "application/vnd" not in response["Content-Type"]


def test_console_queue_exports_with_its_filters(history, client):
    client.force_login(history.dispatcher)
    response = client.get("/console/queue/all/?sort=-created")
    total = response.context["result"].total
    rows = read_csv(client.get("/dashboard/exports/queue/all.csv?sort=-created"))
    assert len(rows) - 1 == total > 50  # every page, not only the first
    assert rows[1][0] == response.context["result"].rows[0].case.number
    # Filters apply: the red-light, 06013 cases only.
    filtered = client.get("/console/queue/all/?light=red&category=matter:06013").context["result"].total
    rows = read_csv(client.get("/dashboard/exports/queue/all.csv?light=red&category=matter:06013"))
    assert len(rows) - 1 == filtered and {r[2] for r in rows[1:]} <= {"红灯"}
    ws = read_xlsx(client.get("/dashboard/exports/queue/all.xlsx?light=red&category=matter:06013")).active
    assert ws.max_row - 1 == filtered


def test_a_handler_exports_only_their_queue_masked(history, client):
    client.force_login(history.roads_handler)
    total = client.get("/console/queue/to_accept/").context["result"].total
    rows = read_csv(client.get("/dashboard/exports/queue/to_accept.csv"))
    assert len(rows) - 1 == total > 0
    reporter, department = rows[0].index("上报人"), rows[0].index("处置部门")
    assert {r[department] for r in rows[1:]} <= {"住建局市政科"}
    assert all("*" in r[reporter] or not r[reporter] for r in rows[1:])
    assert client.get("/dashboard/exports/queue/all.csv").status_code == 403  # not a queue they may open
    assert client.get("/dashboard/exports/queue/nope.csv").status_code == 404


def test_console_pages_link_to_the_exports_and_the_dashboard(history, client):
    client.force_login(history.leader)
    html = client.get("/console/queue/all/?light=red&sort=-created").content.decode()
    assert 'href="/dashboard/exports/queue/all.xlsx?light=red&amp;sort=-created"' in html
    assert 'href="/dashboard/exports/queue/all.csv?light=red&amp;sort=-created"' in html
    assert 'href="/dashboard/"' in html and 'href="/screen/"' in html
    client.force_login(history.roads_handler)
    html = client.get("/console/queue/to_accept/").content.decode()
    assert "/dashboard/exports/queue/to_accept.xlsx" in html and 'href="/dashboard/"' not in html
