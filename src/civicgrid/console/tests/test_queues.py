"""Queue contents, filters, sorting, paging and the htmx partial."""

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.console.selectors import PAGE_SIZE
from civicgrid.console.tests.helpers import NORTH_1, NORTH_2, as_user, move, report, spread
from civicgrid.core import clock

pytestmark = pytest.mark.django_db


def rows(response) -> list[str]:
    """The case numbers of a queue page, in order."""
    import re

    return re.findall(r'<tr data-number="(\d+)"', response.content.decode())


def test_dispatcher_queues_follow_the_status(client, city):
    new = report(city.citizen, NORTH_1, category=city.categories["06013"])
    registered = move(
        report(city.citizen, NORTH_2, category=city.categories["01003"]), "register", city.dispatcher
    )
    as_user(client, city.dispatcher)
    assert rows(client.get("/console/queue/new/")) == [new.number]
    assert rows(client.get("/console/queue/to_dispatch/")) == [registered.number]
    assert rows(client.get("/console/queue/returned/")) == []
    assert set(rows(client.get("/console/queue/all/"))) == {new.number, registered.number}


def test_handler_queue_holds_only_their_departments_dispatched_cases(client, city):
    roads = report(city.citizen, NORTH_1, category=city.categories["06013"])
    move(roads, "register", city.dispatcher)
    move(roads, "dispatch", city.dispatcher)  # routed: 住建局市政科
    parks = report(city.citizen, NORTH_2, category=city.categories["04002"])
    move(parks, "register", city.dispatcher)
    move(parks, "dispatch", city.dispatcher)  # routed: 园林绿化中心
    # A case the roads handler reported themself is visible to them, but it is not their work.
    own = report(city.roads_handler, spread(40), category=city.categories["04002"])
    move(own, "register", city.dispatcher)
    move(own, "dispatch", city.dispatcher)
    as_user(client, city.roads_handler)
    assert rows(client.get("/console/queue/to_accept/")) == [roads.number]
    as_user(client, city.parks_handler)
    assert set(rows(client.get("/console/queue/to_accept/"))) == {parks.number, own.number}
    as_user(client, city.department_admin)  # 住建局: sees its section's queue
    assert rows(client.get("/console/queue/to_accept/")) == [roads.number]


def test_rows_show_light_status_category_place_department_due_and_flags(client, city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"])
    move(case, "register", city.dispatcher)
    move(case, "dispatch", city.dispatcher)
    move(case, "supervise", city.leader, "尽快处理")
    as_user(client, city.roads_handler)
    page = client.get("/console/queue/to_accept/").content.decode()
    row = page[page.index(f'data-number="{case.number}"') :]
    row = row[: row.index("</tr>")]
    for text in [
        'data-light="green"',
        "待签收",
        "06013",
        "道路破损",
        "青春山街道",
        "北苑一格",
        "住建局市政科",
        "badge orange",
        "督",
    ]:
        assert text in row, text
    assert f'href="/console/cases/{case.number}/?from=to_accept"' in row


def test_filters_narrow_the_queue(client, city):
    a = report(city.citizen, spread(1), category=city.categories["06013"], description="井盖丢失")
    b = report(city.citizen, spread(2), category=city.categories["09006"], description="占道摆摊")
    as_user(client, city.dispatcher)
    assert rows(client.get("/console/queue/new/?category=matter:09006")) == [b.number]
    assert rows(client.get("/console/queue/new/?q=井盖")) == [a.number]
    assert set(rows(client.get("/console/queue/new/?street=150603001"))) == {a.number, b.number}
    assert rows(client.get("/console/queue/new/?cell=150603001001")) == [
        c.number for c in (b, a) if c.cell and c.cell.code.startswith("150603001001")
    ]
    today = timezone.localdate()
    assert len(rows(client.get(f"/console/queue/new/?date_from={today}&date_to={today}"))) == 2
    assert rows(client.get(f"/console/queue/new/?date_from={today + timedelta(days=1)}")) == []
    assert len(rows(client.get("/console/queue/new/?light=green"))) == 2
    assert rows(client.get("/console/queue/new/?light=red")) == []


def test_a_bad_filter_is_reported_next_to_its_field_and_the_rest_applies(client, city):
    report(city.citizen, spread(1), category=city.categories["06013"])
    as_user(client, city.dispatcher)
    response = client.get("/console/queue/new/?date_from=yesterday&light=purple&sort=colour")
    assert response.status_code == 200
    page = response.content.decode()
    assert "日期格式应为 YYYY-MM-DD" in page
    assert "请选择绿灯、黄灯、红灯或不计时" in page
    assert "未知的排序方式" in page
    assert len(rows(response)) == 1


def test_red_queue_and_light_filter_show_overdue_cases(client, city):
    with clock.at(timezone.now() - timedelta(days=20)):
        late = report(city.citizen, spread(3), category=city.categories["06013"])
        move(late, "register", city.dispatcher)
        move(late, "dispatch", city.dispatcher)
    fresh = report(city.citizen, spread(4), category=city.categories["06013"])
    move(fresh, "register", city.dispatcher)
    move(fresh, "dispatch", city.dispatcher)
    as_user(client, city.leader)
    response = client.get("/console/queue/red/")
    assert rows(response) == [late.number]
    assert 'data-light="red"' in response.content.decode()
    as_user(client, city.roads_handler)
    assert rows(client.get("/console/queue/to_accept/?light=red")) == [late.number]
    assert set(rows(client.get("/console/queue/to_accept/"))) == {late.number, fresh.number}


def test_sorting_and_paging(client, city):
    made = []
    base = timezone.now() - timedelta(hours=PAGE_SIZE + 5)
    for i in range(PAGE_SIZE + 3):
        with clock.at(base + timedelta(hours=i)):
            made.append(report(city.citizen, spread(i), category=city.categories["06013"]).number)
    as_user(client, city.dispatcher)
    first = client.get("/console/queue/new/?sort=-created")
    assert rows(first) == list(reversed(made))[:PAGE_SIZE]
    page = first.content.decode()
    assert "第 1 / 2 页" in page and 'rel="next"' in page and "?sort=-created&amp;page=2" in page
    second = client.get("/console/queue/new/?sort=-created&page=2")
    assert rows(second) == list(reversed(made))[PAGE_SIZE:]
    assert rows(client.get("/console/queue/new/?sort=number&page=2")) == made[PAGE_SIZE:]
    assert rows(client.get("/console/queue/new/?sort=-created&page=99")) == rows(
        second
    )  # clamped to the last page


def test_htmx_request_gets_the_table_partial_that_keeps_polling(client, city, settings):
    settings.CIVICGRID_CONSOLE_POLL_SECONDS = 3
    case = report(city.citizen, spread(1), category=city.categories["06013"])
    as_user(client, city.dispatcher)
    response = client.get("/console/queue/new/?light=green", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert page.startswith('<div id="queue-table"')
    assert 'hx-trigger="every 3s"' in page and 'data-poll-seconds="3"' in page
    assert 'hx-get="/console/queue/new/?light=green"' in page  # the poll keeps the filters
    assert case.number in page
    assert 'id="queue-nav" hx-swap-oob="true"' in page and 'id="unread" ' in page  # counts refresh too


def test_partial_varies_on_the_htmx_header_and_history_restore_gets_the_page(client, city):
    as_user(client, city.dispatcher)
    response = client.get("/console/queue/new/", headers={"HX-Request": "true"})
    assert "HX-Request" in response["Vary"]
    restore = client.get(
        "/console/queue/new/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.content.decode()


def test_extension_queue_lists_pending_requests_once(client, city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"])
    move(case, "register", city.dispatcher)
    move(case, "dispatch", city.dispatcher)
    move(case, "request_extension", city.roads_handler, "需要协调", hours=8)
    move(case, "refuse_extension", city.dispatcher, "不批")
    move(case, "request_extension", city.roads_handler, "再申请", hours=4)
    other = report(city.citizen, NORTH_2, category=city.categories["01003"])
    as_user(client, city.dispatcher)
    response = client.get("/console/queue/extensions/")
    assert rows(response) == [case.number]
    page = response.content.decode()
    assert '<span>延期待审批</span><span class="count">1</span>' in page
    assert '<span>新上报待立案</span><span class="count">1</span>' in page  # not skewed by the join
    assert other.number not in page


def test_english_is_switchable(client, city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"])
    as_user(client, city.dispatcher)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/console/queue/new/"})
    assert response.status_code == 302
    page = client.get("/console/queue/new/").content.decode()
    assert '<html lang="en">' in page and 'value="zh-hans"' in page
    response = client.post(f"/console/cases/{case.number}/actions/reject/", {"note": ""})
    assert "a note (reason) is required to reject" in response.content.decode()
