"""The case loop tells the right people: departments on dispatch and supervision, reporters on progress,
departments and leaders once when a step turns red."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.cases import tasks
from civicgrid.cases.tests.helpers import NORTH_1, as_user, local, move, north_of, refused, run_to, submit
from civicgrid.notifications.models import Notification
from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db


def inbox(kind: str | None = None, case=None) -> list[tuple[str, str]]:
    """(recipient name, kind) of every queued notification, optionally of one kind/case."""
    qs = Notification.objects.select_related("recipient").order_by("id")
    if kind:
        qs = qs.filter(kind=kind)
    if case is not None:
        qs = qs.filter(case_id=case.pk)
    return [(n.recipient.real_name if n.recipient else None, n.kind) for n in qs]


def recipients(kind: str, case=None) -> set[str]:
    return {name for name, _ in inbox(kind, case)}


@pytest.fixture
def roads_case(routed_world, categories, monday):
    return submit(routed_world.citizen, NORTH_1, category=categories["06013"])


def test_intake_acknowledges_the_report(roads_case):
    [n] = Notification.objects.filter(case_id=roads_case.pk)
    assert (n.recipient.real_name, n.kind) == ("王芳", "case_progress")
    assert roads_case.number in n.title


def test_dispatch_notifies_the_departments_handlers(routed_world, roads_case):
    w = routed_world
    second = user_create(
        phone="13900000021",
        password=PASSWORD,
        real_name="吴磊",
        role=Role.HANDLER,
        department=w.departments["ZJJ_SZ"],
    )
    gone = user_create(
        phone="13900000022",
        password=PASSWORD,
        real_name="郑敏",
        role=Role.HANDLER,
        department=w.departments["ZJJ_SZ"],
    )
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    run_to(roads_case, "dispatched", w)
    assert recipients("case_dispatched") == {"刘洋", second.real_name}
    n = Notification.objects.filter(kind="case_dispatched").first()
    assert roads_case.number in n.title and n.link == f"/console/cases/{roads_case.number}/"


def test_dispatch_to_the_bureau_notifies_its_admin(routed_world, roads_case):
    w = routed_world
    move(roads_case, "register", w.dispatcher)
    move(roads_case, "dispatch", w.dispatcher, department=w.departments["ZJJ"])
    assert recipients("case_dispatched") == {"孙丽"}


def test_redispatch_after_return_notifies_the_new_department(routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "dispatched", w)
    move(roads_case, "return", w.roads_handler, "非本科室")
    move(roads_case, "dispatch", w.dispatcher, department=w.departments["YLZX"])
    assert [name for name, _ in inbox("case_dispatched")] == ["刘洋", "陈静"]


def test_reporter_hears_of_registration_feedback_and_closing(routed_world, roads_case):
    run_to(roads_case, "closed", routed_world)
    titles = list(
        Notification.objects.filter(recipient=routed_world.citizen)
        .order_by("id")
        .values_list("title", flat=True)
    )
    assert [t.split(" ")[0] for t in titles] == [
        "已收到您的上报",
        "您的上报已立案",
        "您上报的问题已处置",
        "您上报的问题已结案，请评价",
    ]
    assert all(roads_case.number in t for t in titles)


def test_rejection_tells_the_reporter_why(routed_world, roads_case):
    move(roads_case, "reject", routed_world.dispatcher, "不属于城市管理范围")
    last = Notification.objects.filter(recipient=routed_world.citizen).order_by("-id").first()
    assert last.title.startswith("您的上报未予立案") and last.body == "不属于城市管理范围"


def test_supervise_notifies_the_department(routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "accepted", w)
    move(roads_case, "supervise", w.leader, "三天内办结")
    [n] = Notification.objects.filter(kind="case_supervised")
    assert (n.recipient, n.body) == (w.roads_handler, "三天内办结")


def test_rework_and_reopen_notify_the_department(routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "handled", w)
    move(roads_case, "rework", w.dispatcher, "未修好")
    run_to(roads_case, "closed", w)
    move(roads_case, "rate", w.citizen, rating="unsatisfied")
    titles = [n.title for n in Notification.objects.filter(kind="case_dispatched").order_by("id")]
    assert [t.split(" ")[0] for t in titles] == ["新派遣案件", "案件返工", "群众不满意，案件重办"]


def test_merged_reporter_is_pointed_to_the_original(routed_world, categories, roads_case):
    dup = submit(routed_world.grid_member, north_of(NORTH_1, 20), category=categories["06013"])
    [n] = Notification.objects.filter(recipient=routed_world.grid_member)
    assert roads_case.number in n.body and n.case_id == roads_case.pk
    assert dup.number in n.title


def test_refused_move_queues_nothing(routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "dispatched", w)
    move(roads_case, "supervise", w.leader, "督办")
    before = Notification.objects.count()
    refused(roads_case, "supervise", w.leader, "再次督办")
    refused(roads_case, "dispatch", w.dispatcher)
    assert Notification.objects.count() == before


# --- the overdue scan -------------------------------------------------------------------------------


def digests():
    return Notification.objects.filter(kind="case_overdue").order_by("id")


def test_red_lights_are_told_as_one_digest_per_person_and_day(routed_world, categories, settings):
    w = routed_world
    settings.CIVICGRID_OVERDUE_DIGEST, settings.CIVICGRID_OVERDUE_DIGEST_HOUR = "daily", 8
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as t:
        reported = submit(w.citizen, NORTH_1, category=categories["06013"])  # 立案 due 11:00
        handled_case = submit(w.citizen, north_of(NORTH_1, 200), category=categories["06013"])
        run_to(handled_case, "dispatched", w)  # 处置 due Thursday 09:00

        t.move_to(local(2026, 11, 23, 11, 1))
        assert tasks.scan_overdue() == 1 and tasks.scan_overdue() == 0  # marked once
        assert tasks.overdue_digest() == 2  # the centre (立案 is its step) and the leader
        assert tasks.overdue_digest() == 0  # once a day
        assert recipients("case_overdue") == {"赵敏", "张伟"}
        digest = digests().first()
        assert digest.title == "超期案件汇总：1 件红灯" and reported.number in digest.body

        t.move_to(local(2026, 11, 24, 7, 0))
        assert tasks.overdue_digest() == 0  # before the day's digest hour
        t.move_to(local(2026, 11, 26, 9, 1))  # both red now: one digest each, not one per case
        tasks.scan_overdue()
        assert tasks.overdue_digest() == 3
        leader = digests().filter(recipient=w.leader).last()
        assert leader.title == "超期案件汇总：2 件红灯"
        assert reported.number in leader.body and handled_case.number in leader.body
        handler = list(digests().filter(recipient=w.roads_handler))
        assert len(handler) == 1 and handler[0].body == handled_case.number  # only what they must act on
        assert digests().count() == 5


def test_an_hourly_digest_and_two_workers_at_once(routed_world, categories, settings):
    w = routed_world
    settings.CIVICGRID_OVERDUE_DIGEST = "hourly"
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as t:
        submit(w.citizen, NORTH_1, category=categories["06013"])
        t.move_to(local(2026, 11, 23, 11, 1))
        first, second = tasks.overdue_digest(), tasks.overdue_digest()  # a second worker, same hour
        assert (first, second) == (2, 0)
        t.move_to(local(2026, 11, 23, 12, 0))
        assert tasks.overdue_digest() == 2  # a new hour, a new digest
        assert Notification.objects.filter(kind="case_overdue").count() == 4
    settings.CIVICGRID_OVERDUE_DIGEST = "weekly"
    with pytest.raises(ImproperlyConfigured):
        tasks.overdue_digest()


def test_a_dispatch_notice_is_settled_once_the_department_accepts(routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "dispatched", w)
    assert Notification.objects.filter(recipient=w.roads_handler, read_at__isnull=True).count() == 1
    move(roads_case, "accept", w.roads_handler)
    assert not Notification.objects.filter(recipient=w.roads_handler, read_at__isnull=True).exists()


def test_finished_steps_are_never_reported_overdue(routed_world, categories):
    w = routed_world
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as t:
        case = submit(w.citizen, NORTH_1, category=categories["06013"])
        run_to(case, "closed", w)
        t.move_to(local(2027, 1, 4, 9, 0))
        assert tasks.scan_overdue() == 0
    assert inbox("case_overdue") == []


# --- reading them -----------------------------------------------------------------------------------


def test_reporter_lists_notifications_through_the_api(client, routed_world, roads_case):
    run_to(roads_case, "closed", routed_world)
    r = as_user(client, routed_world.citizen).get("/api/notifications/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == body["unread"] == 4
    titles = [item["title"] for item in body["items"]]
    assert titles[0].startswith("您上报的问题已结案")  # newest first
    assert all(item["case_id"] == roads_case.pk for item in body["items"])
    # The handler's inbox holds the dispatch only, not the reporter's messages.
    r = as_user(client, routed_world.roads_handler).get("/api/notifications/")
    assert [item["kind"] for item in r.json()["items"]] == ["case_dispatched"]
