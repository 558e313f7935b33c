"""The partial indexes of columns a new report leaves empty are still the ones the queries use.

case_dept_idx, case_registered_idx, case_routed_idx, case_original_idx and event_dept_idx hold only
the rows where their column is set, so that a report does not enter them. A query can use such an
index only if its condition implies the index's (`col = x`, `col IN (…)` and ranges imply
`col IS NOT NULL`); these tests ask each database for the plan of the queries the code runs. On
PostgreSQL sequential scans are priced out first, since a test database is small enough for one to
win on cost: what is checked is that the index *can* serve the query.
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


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize(("name", "queryset"), [
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
    ("event_dept_idx", lambda: CaseEvent.objects.filter(department_id=7, action=Action.DISPATCH,
                                                        created_at__gte=START, created_at__lt=END)),
])
def test_the_partial_index_serves_the_query(name, queryset):
    assert name in plan(queryset()), plan(queryset())


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
        [Action.REPORT, Action.REPORT, Action.MERGE, Action.ME_TOO])
    assert not events.filter(department__isnull=False).exists()
