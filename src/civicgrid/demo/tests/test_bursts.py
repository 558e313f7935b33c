import pytest

from civicgrid.cases.models import Case
from civicgrid.demo.city import build_city
from civicgrid.demo.history import BURSTS, build_bursts
from civicgrid.hotspots.models import HotIssue
from civicgrid.hotspots.services import hot_issues_refresh


@pytest.mark.django_db
def test_the_demo_city_has_hot_issues_a_leader_can_see():
    build_city()
    added = build_bursts()
    assert added >= sum(reports for _k, _c, reports, _d in BURSTS) - 4
    assert build_bursts() == 0  # idempotent
    # Reports close to an open one of the category joined it (附议): fewer cases than reports.
    assert Case.objects.filter(source_ref__startswith="demo:burst:", duplicate_of__isnull=False).exists()
    hot_issues_refresh(full=True)
    assert HotIssue.objects.count() >= 3
    codes = {issue.cases.first().category.code for issue in HotIssue.objects.all()}
    assert {"06042", "09006"} <= codes
