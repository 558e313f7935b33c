"""好人评选: nomination, review by another administrator, award through the ledger (once)."""

from __future__ import annotations

import pytest

from civicgrid.core.errors import Conflict, PermissionDenied
from civicgrid.points.choices import HonourStatus, Reason
from civicgrid.points.models import PointsEntry
from civicgrid.points.selectors import balance_of
from civicgrid.points.services import honour_award, honour_nominate, honour_review

pytestmark = pytest.mark.django_db


def test_nominate_review_award_once(world):
    honour = honour_nominate(
        nominee=world.citizen, nominated_by=world.grid_member, title="康巴什好人", citation="冬夜救助走失老人"
    )
    with pytest.raises(Conflict):
        honour_award(honour=honour, actor=world.admin)  # not reviewed yet
    with pytest.raises(PermissionDenied):
        honour_review(honour=honour, reviewer=world.inspector, approve=True)
    honour_review(honour=honour, reviewer=world.admin, approve=True)
    honour = honour_award(honour=honour, actor=world.admin)
    assert honour.status == HonourStatus.AWARDED and honour.entry.delta == 200
    with pytest.raises(Conflict):
        honour_award(honour=honour, actor=world.admin)
    assert PointsEntry.objects.filter(reason=Reason.HONOUR).count() == 1
    assert balance_of(world.citizen) == 200


def test_a_rejected_nomination_earns_nothing_and_nominators_do_not_review_their_own(world):
    own = honour_nominate(nominee=world.citizen, nominated_by=world.admin, title="最美志愿者", citation="…")
    with pytest.raises(PermissionDenied):
        honour_review(honour=own, reviewer=world.admin, approve=True)
    other = honour_nominate(nominee=world.citizen, nominated_by=None, title="好邻居", citation="…")
    honour_review(honour=other, reviewer=world.admin, approve=False, note="事迹不足")
    with pytest.raises(Conflict):
        honour_award(honour=other, actor=world.admin)
    assert not PointsEntry.objects.exists()
