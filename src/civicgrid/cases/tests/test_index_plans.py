"""What a report writes stays small: the partial indexes of columns it leaves empty still serve the
queries, and on PostgreSQL a duplicate's me-too update of its original is HOT.

case_dept_idx, case_registered_idx, case_routed_idx, case_original_idx and event_dept_idx hold only
the rows where their column is set, so that a report does not enter them. A query can use such an
index only if its condition implies the index's (`col = x`, `col IN (…)` and ranges imply
`col IS NOT NULL`); these tests ask each database for the plan of the queries the code runs. On
PostgreSQL sequential scans are priced out first, since a test database is small enough for one to
win on cost, and the competing indexes are dropped for the test (see `plan`): what is checked is
that the index *can* serve the query.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from civicgrid.cases.choices import Action
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.helpers import submit

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
END = START + timedelta(days=30)


def plan(queryset, *, only: str) -> str:
    """The plan of the query with `only` as the sole secondary index of its table.

    The other indexes are dropped inside the test's transaction (rolled back after it: DDL is
    transactional on both databases), because on a test database the planners pick among equally
    cheap plans by accident; with one index left the plan shows whether that index can serve the
    query at all. On PostgreSQL sequential scans are priced out as well.
    """
    sql, params = queryset.order_by().query.sql_with_params()
    table = queryset.model._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        for name, c in constraints.items():
            if c["index"] and not c["unique"] and not c["primary_key"] and name != only:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("name", "queryset"),
    [
        # cases.indicators.compute and the registration-cohort drill-downs: cases registered in a period.
        ("case_registered_idx", lambda: Case.objects.filter(registered_at__gte=START, registered_at__lt=END)),
        # A department's cases (visible_cases for a department or a department admin's subtree).
        ("case_dept_idx", lambda: Case.objects.filter(department_id__in=[7, 8])),
        ("case_dept_idx", lambda: Case.objects.filter(department_id=7)),
        # The duplicates merged into a case (its page) and the PROTECT check before deleting a case.
        ("case_original_idx", lambda: Case.objects.filter(duplicate_of_id=5)),
        ("case_original_idx", lambda: Case.objects.filter(duplicate_of_id__in=[5, 6])),
        # The PROTECT check before deleting a department.
        ("case_routed_idx", lambda: Case.objects.filter(routed_department_id__in=[7])),
        # A department's events of one kind in a period (drill-downs narrowed to a department).
        (
            "event_dept_idx",
            lambda: CaseEvent.objects.filter(
                department_id=7, action=Action.DISPATCH, created_at__gte=START, created_at__lt=END
            ),
        ),
    ],
)
def test_the_partial_index_serves_the_query(name, queryset):
    found = plan(queryset(), only=name)
    assert name in found, found


def test_an_index_that_cannot_serve_the_query_is_not_in_its_plan():
    """The check above can fail: a query that also wants the NULLs cannot use the partial index."""
    found = plan(Case.objects.filter(registered_at__isnull=True), only="case_registered_idx")
    assert "case_registered_idx" not in found, found


def test_a_report_and_its_duplicate_enter_none_of_them(routed_world, categories):
    """What the indexes leave out is what intake writes: a routed category's report and a duplicate of it."""
    category = categories["06013"]
    case = submit(routed_world.citizen, category=category)
    duplicate = submit(routed_world.citizen, category=category)
    assert duplicate.duplicate_of_id == case.pk
    for c in (case, duplicate):
        c.refresh_from_db()
        assert (c.department_id, c.registered_at, c.routed_department_id) == (None, None, None)
    assert case.duplicate_of_id is None
    events = CaseEvent.objects.filter(case__in=[case, duplicate])
    assert sorted(events.values_list("action", flat=True)) == sorted(
        [Action.REPORT, Action.REPORT, Action.MERGE, Action.ME_TOO]
    )
    assert not events.filter(department__isnull=False).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="HOT updates and fillfactor are PostgreSQL's")
def test_a_me_too_on_a_full_page_stays_on_that_page(routed_world, categories):
    """The duplicate's "me too" (me_too_count + 1 on the original) changes no indexed column. The case
    table keeps 10 % of each page free (migration cases 0011), so even on a page filled by later
    reports the original's new row version fits beside it: a HOT update, which enters no index."""
    category = categories["06013"]
    original = submit(routed_world.citizen, category=category)

    def page(pk: int) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT (ctid::text::point)[0]::int FROM cases_case WHERE id = %s", [pk])
            return cursor.fetchone()[0]

    def hot_and_all_updates() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_stat_get_xact_tuples_hot_updated('cases_case'::regclass), "
                "pg_stat_get_xact_tuples_updated('cases_case'::regclass)"
            )
            return cursor.fetchone()

    # Later rows (closed cases, so never an original) fill the original's page until one lands on the next.
    original_page = page(original.pk)
    for _ in range(200):
        filler = Case.objects.bulk_create(
            [
                Case(
                    description=original.description,
                    lat=original.lat,
                    lon=original.lon,
                    created_at=original.created_at,
                    status="closed",
                    category=category,
                )
            ]
        )[0]
        if page(filler.pk) != original_page:
            break
    else:
        pytest.fail("the original's page never filled")
    hot, updated = hot_and_all_updates()
    duplicate = submit(routed_world.citizen, category=category)
    assert duplicate.duplicate_of_id == original.pk
    assert hot_and_all_updates() == (hot + 1, updated + 1)
    original.refresh_from_db()
    assert original.me_too_count == 1
