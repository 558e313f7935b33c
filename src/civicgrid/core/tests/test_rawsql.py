"""core.rawsql.ModelInsert binds exactly what Django's insert compiler binds, column by column;
ModelLookup loads the rows the ORM's filter loads."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.sql import InsertQuery
from django.utils.translation import gettext_lazy

from civicgrid.cases.choices import Action, CaseStatus, Channel
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent
from civicgrid.classifier.models import SuggestionLog
from civicgrid.core.rawsql import ModelInsert, ModelLookup
from civicgrid.notifications.models import Notification, NotificationPreference
from civicgrid.open311.models import Open311Request

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 23, 1, 2, 3, 456789, tzinfo=UTC)


def orm_params(obj) -> tuple[list[str], list]:
    """The columns and values `obj.save(force_insert=True)` would send (Model._do_insert's compiler)."""
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    sql, params = query.get_compiler(using="default").as_sql()[0]
    return [f.column for f in fields], list(params)


def comparable(values: list) -> list:
    out = []
    for v in values:
        inner = getattr(v, "obj", v)  # psycopg's Jsonb wraps the Python value
        out.append((type(v).__name__, inner))
    return out


def objects():
    yield Case(
        number="2026112300001",
        kind="complaint",
        channel=Channel.HOTLINE,
        category_id=7,
        cell_id=None,
        urgency="normal",
        description=gettext_lazy("问题描述"),
        address="",
        lat=39.6,
        lon=109.8,
        reporter_id=3,
        status=CaseStatus.REPORTED,
        created_at=AT,
        step="register",
        due_at=AT,
        warn_at=AT,
        idempotency_key=None,
        is_public=False,
        me_too_count=2,
    )
    yield Case(
        description="x",
        lat=0.0,
        lon=0.0,
        created_at=AT,
        status="merged",
        duplicate_of_id=12,
        idempotency_key="k-12345678",
    )
    yield CaseEvent(
        case_id=5,
        action=Action.REPORT,
        from_status="",
        to_status=CaseStatus.REPORTED,
        actor_id=None,
        actor_role="citizen",
        created_at=AT,
        data={"channel": "app", "n": 1.5, "list": [1, "二"]},
    )
    yield CaseEvent(case_id=5, action=Action.MERGE, to_status="merged", created_at=AT, data={}, on_time=True)
    yield CaseDeadline(
        case_id=5,
        step="register",
        started_at=AT,
        limit_hours=Decimal("2"),
        unit="working",
        due_at=AT,
        warn_at=AT,
    )
    yield CaseDeadline(
        case_id=5,
        step="handle",
        started_at=AT,
        limit_hours=Decimal("1.5"),
        extended_hours=3,
        unit="natural",
        due_at=AT,
        warn_at=AT,
        completed_at=AT,
        on_time=False,
    )
    yield Notification(
        recipient_id=None,
        kind="case_progress",
        title="已收到",
        body="",
        case_id=9,
        link="",
        channels=["sms", "webhook"],
        dedupe_key=None,
        created_at=AT,
        next_attempt_at=AT,
        processed_at=None,
    )
    yield Notification(
        recipient_id=4,
        kind="k",
        title="t",
        body="b",
        channels=[],
        created_at=AT,
        next_attempt_at=AT,
        processed_at=AT,
        dedupe_key="overdue:1:register",
    )

    yield Open311Request(
        case_id=5,
        client_id=2,
        token="t" * 24,
        client_request_id="4711",
        attributes={"bin_count": "2", "smell": ["odour", "flies"], "closest_address": "北苑社区"},
        media_url="https://example.cn/p.jpg",
        device_id="",
        created_at=AT,
    )


@pytest.mark.parametrize("obj", list(objects()), ids=lambda o: type(o).__name__)
def test_insert_binds_what_the_orm_binds(obj):
    columns, orm_values = orm_params(obj)
    insert = ModelInsert(type(obj))
    sql, values = insert.statement(obj)
    assert [f.column for f in insert.fields] == columns
    assert comparable(values) == comparable(orm_values), connection.vendor
    assert sql.count("%s") == len(values)


def test_inserted_row_reads_back_as_the_orm_saves_it(django_user_model):
    """A row written by ModelInsert and one written by save() read back the same."""
    user = django_user_model.objects.create_user(phone="13900000001", password="x" * 12)
    rows = []
    for writer in ("orm", "raw"):
        n = Notification(
            recipient=user,
            kind="k",
            title="标题",
            body="b",
            case_id=1,
            link="/x",
            channels=["sms"],
            created_at=AT,
            next_attempt_at=AT,
        )
        if writer == "orm":
            n.save(force_insert=True)
        else:
            with connection.cursor() as cursor:
                cursor.execute(*ModelInsert(Notification).statement(n))
                ModelInsert.saved(n, cursor.fetchone()[0])
            assert not n._state.adding
        rows.append(Notification.objects.filter(pk=n.pk).values().get())
    orm, raw = rows
    assert {k: v for k, v in orm.items() if k != "id"} == {k: v for k, v in raw.items() if k != "id"}


def fields_of(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_lookup_loads_what_the_orm_filter_loads(django_user_model):
    me = django_user_model.objects.create_user(phone="13900000001", password="x" * 12)
    other = django_user_model.objects.create_user(phone="13900000002", password="x" * 12)
    for user, kind, sms in (
        (me, "case_progress", True),
        (me, "points", False),
        (other, "case_progress", False),
    ):
        NotificationPreference.objects.create(user=user, kind=kind, in_app=not sms, sms=sms)
    lookup = ModelLookup(NotificationPreference, ["user", "kind"])
    for user, kind in ((me, "case_progress"), (other, "case_progress"), (me, "nothing")):
        found = lookup.fetch(user.pk, kind)
        expected = list(NotificationPreference.objects.filter(user=user, kind=kind))
        assert [fields_of(p) for p in found] == [fields_of(p) for p in expected]
        assert all(not p._state.adding and p._state.db == "default" for p in found)
    assert len(lookup.fetch(me.pk, "case_progress")) == 1


def test_a_lookup_with_a_null_column(world, categories):
    from civicgrid.cases.tests.helpers import submit

    user = world.citizen
    case = submit(user, category=categories["06010"])
    for linked, target in ((None, "category"), (None, "category"), (None, "department"), (case, "category")):
        SuggestionLog.objects.create(
            where="h5",
            target=target,
            text_hash="a" * 64,
            suggestions=[{"label": "matter:06010", "confidence": 0.9}],
            user=user,
            case=linked,
        )
    found = ModelLookup(SuggestionLog, ["user", "text_hash", "target"], null=["case"]).fetch(
        user.pk, "a" * 64, "category"
    )
    expected = SuggestionLog.objects.filter(
        user=user, text_hash="a" * 64, target="category", case__isnull=True
    )
    assert len(found) == 2
    assert sorted((fields_of(log) for log in found), key=lambda f: f["id"]) == [
        fields_of(log) for log in expected.order_by("id")
    ]
