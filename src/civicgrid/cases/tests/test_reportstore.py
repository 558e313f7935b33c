"""The intake's statements (cases/reportstore: report_write, me_too_write) write exactly the rows the ORM writes.

Each report is made twice from the same state, once through the hand-built statements and once
through `report_write_orm` (plain save()), each time inside a transaction that is rolled back
afterwards, so the case number and the clock are the same; every new row of every table the
intake writes must be identical, column by column.
"""

from __future__ import annotations

from copy import copy

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.cases import reportstore
from civicgrid.cases.intake import Outcome, Submission, case_submit
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent, CaseFollower
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, east_of, submit
from civicgrid.notifications.models import Notification

TABLES = (Case, CaseEvent, CaseDeadline, Notification, CaseFollower)


class _Undo(Exception):
    pass


FAST = (reportstore.report_write, reportstore.me_too_write)
ORM = (reportstore.report_write_orm, reportstore.me_too_write_orm)


def _written(reporter, submission, monkeypatch, writers, beside=(), tables=TABLES) -> tuple[Outcome, dict]:
    """The rows one report adds (ids replaced by NEW where they point at the new case), rolled back."""
    monkeypatch.setattr(reportstore, "report_write", writers[0])
    monkeypatch.setattr(reportstore, "me_too_write", writers[1])
    before = {
        model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for model in tables
    }
    touched = set(Case.objects.values_list("pk", flat=True))
    try:
        with transaction.atomic():
            result = case_submit(reporter=reporter, submission=submission, beside=[copy(r) for r in beside])
            new = result.case.pk

            def plain(row: dict) -> dict:
                row.pop("id")
                for key, value in row.items():
                    if key in ("case_id", "duplicate_of_id") and value == new:
                        row[key] = "NEW"
                return row

            rows = {
                model.__name__: [
                    plain(r) for r in model.objects.filter(pk__gt=before[model]).order_by("pk").values()
                ]
                for model in tables
            }
            rows["changed cases"] = sorted(
                Case.objects.filter(pk__in=touched).values_list("pk", "me_too_count")
            )
            raise _Undo
    except _Undo:
        pass
    return result.outcome, rows


@pytest.fixture
def original(routed_world, categories, monday):
    return submit(routed_world.citizen, NORTH_1, category=categories["06013"])


@pytest.mark.parametrize(
    "persona, point, fields, outcome",
    [
        ("citizen", NORTH_2, {"category": "06013", "address": "青春山路 1 号"}, Outcome.CREATED),
        ("parks_handler", east_of(NORTH_1, 20), {"category": "06013"}, Outcome.MERGED),  # into `original`
        ("citizen", NORTH_1, {"category": "06013"}, Outcome.MERGED),  # its own reporter again: counts again
        ("citizen", NORTH_1, {}, Outcome.CREATED),  # no category: never merged
        (
            "dispatcher",
            NORTH_2,
            {
                "channel": "hotline",
                "category": "06013",
                "urgency": "urgent",
                "is_public": False,
                "contact_name": "李先生",
                "contact_phone": "13812345678",
            },
            Outcome.CREATED,
        ),
        (
            "grid_member",
            NORTH_2,
            {"channel": "grid", "category": "06013"},
            Outcome.CREATED,
        ),  # registered at once
    ],
)
def test_the_statements_write_what_the_orm_writes(
    routed_world, categories, original, monkeypatch, persona, point, fields, outcome
):
    fields = {**fields, "category": categories[fields["category"]] if "category" in fields else None}
    submission = Submission(description="人行道上有一处坑洞", lat=point[0], lon=point[1], **fields)
    reporter = getattr(routed_world, persona)
    fast = _written(reporter, submission, monkeypatch, FAST)
    orm = _written(reporter, submission, monkeypatch, ORM)
    assert fast == orm
    assert fast[0] == outcome
    rows = fast[1]
    assert len(rows["Case"]) == 1 and rows["Notification"]
    assert "report" in [e["action"] for e in rows["CaseEvent"]]
    if outcome == Outcome.MERGED:
        assert [e["action"] for e in rows["CaseEvent"]] == ["me_too", "report", "merge"]
        assert (original.pk, 1) in rows["changed cases"]
        assert rows["CaseDeadline"] == []
    else:
        assert rows["CaseDeadline"]


@pytest.mark.parametrize(
    "point, outcome", [(NORTH_2, Outcome.CREATED), (east_of(NORTH_1, 20), Outcome.MERGED)]
)
def test_a_row_beside_the_case_is_written_as_the_orm_writes_it(
    routed_world, categories, original, monkeypatch, point, outcome
):
    """An Open311 request's record, written with its case (as open311.services does)."""
    from civicgrid.accounts.clients import api_client_create
    from civicgrid.core import clock
    from civicgrid.open311.models import Open311Request

    platform = api_client_create(name="FixMyStreet", user=routed_world.citizen, scopes=["open311"])
    record = Open311Request(
        client=platform,
        token="t" * 24,
        client_request_id="4711",
        attributes={"kind": "household", "smell": ["odour", "flies"]},
        media_url="https://example.cn/p.jpg",
        created_at=clock.now(),
    )
    submission = Submission(
        description="人行道上有一处坑洞",
        lat=point[0],
        lon=point[1],
        channel="open311",
        category=categories["06013"],
    )
    tables = (*TABLES, Open311Request)
    fast = _written(routed_world.citizen, submission, monkeypatch, FAST, [record], tables)
    orm = _written(routed_world.citizen, submission, monkeypatch, ORM, [record], tables)
    assert fast == orm
    assert fast[0] == outcome
    [written] = fast[1]["Open311Request"]
    assert written["case_id"] == "NEW" and written["token"] == "t" * 24
    assert written["attributes"] == {"kind": "household", "smell": ["odour", "flies"]}


@given(
    lat=st.floats(18, 54),
    lon=st.floats(73, 136),
    dx=st.floats(-1, 1),
    dy=st.floats(-1, 1),
    radius=st.sampled_from([10.0, 50.0, 200.0]),
    category=st.integers(1, 500),
)
def test_a_report_that_would_find_another_shares_a_lock_with_it(lat, lon, dx, dy, radius, category):
    """Whenever the later report's box holds the earlier report's point, they wait for each other."""
    min_lon, min_lat, max_lon, max_lat = reportstore.box_around(lat, lon, radius)
    earlier = (lat + dy * (max_lat - lat), lon + dx * (max_lon - lon))  # anywhere in the later one's box
    later_keys = reportstore.duplicate_box_keys(category_id=category, lat=lat, lon=lon, radius_m=radius)
    earlier_keys = reportstore.duplicate_box_keys(
        category_id=category, lat=earlier[0], lon=earlier[1], radius_m=radius
    )
    assert set(later_keys) & set(earlier_keys)
    assert len(later_keys) <= 9 and later_keys == sorted(later_keys)
    other = reportstore.duplicate_box_keys(category_id=category + 1, lat=lat, lon=lon, radius_m=radius)
    assert not set(other) & set(later_keys)  # another category's reports never wait for these


@pytest.mark.parametrize("writers", [FAST, ORM], ids=["statements", "orm"])
def test_the_me_too_button_writes_what_the_orm_writes(routed_world, original, monkeypatch, writers):
    """A me-too from the button, and a second one by the same person, through both writers."""
    from civicgrid.cases.workflow import case_me_too

    monkeypatch.setattr(reportstore, "me_too_write", writers[1])
    assert case_me_too(case=original, user=routed_world.dispatcher) is not None
    assert case_me_too(case=original, user=routed_world.dispatcher) is None  # once per person
    event = CaseEvent.objects.get(case=original, action="me_too")
    assert (event.actor, event.from_status, event.to_status, event.data) == (
        routed_world.dispatcher,
        "reported",
        "reported",
        {},
    )
    original.refresh_from_db()
    assert original.me_too_count == 1 and original.followers.get().user == routed_world.dispatcher
