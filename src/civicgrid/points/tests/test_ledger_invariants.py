"""Ledger invariants under hypothesis: any sequence of awards, deductions, reversals and redemptions.

- the cached balance equals the sum of the entries, for every person, after every step;
- one source key is awarded at most once (a replay writes nothing);
- a redemption never takes a balance below zero, and a refused one changes nothing.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.core.errors import Conflict
from civicgrid.points.choices import Reason, UncivilBehaviour
from civicgrid.points.models import PointsEntry, RewardItem
from civicgrid.points.selectors import balance_of, ledger_sum
from civicgrid.points.services import entry_reverse, points_award, reward_redeem, uncivil_record_create

award = st.tuples(
    st.just("award"),
    st.integers(0, 2),
    st.sampled_from([Reason.REPORT, Reason.VOLUNTEER, Reason.HONOUR]),
    st.integers(0, 5),
    st.integers(1, 4),
)
deduct = st.tuples(st.just("deduct"), st.integers(0, 2))
reverse = st.tuples(st.just("reverse"), st.integers(0, 50))
redeem = st.tuples(st.just("redeem"), st.integers(0, 2), st.integers(0, 2))
operations = st.lists(st.one_of(award, deduct, reverse, redeem), min_size=1, max_size=25)


class Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_ledger_invariants_hold_for_any_sequence(ops):
    try:
        with transaction.atomic():
            run(ops)
            raise Rollback
    except Rollback:
        pass


def run(ops) -> None:
    people = [user_create(phone=f"1370000000{i}", real_name=f"测试{i}") for i in range(3)]
    inspector = user_create(phone="13700000009", real_name="督查", role=Role.INSPECTOR)
    items = [
        RewardItem.objects.create(name=f"券{i}", merchant_name="商户", cost=cost, stock=2)
        for i, cost in enumerate((10, 60, 250))
    ]
    awarded_keys: set[str] = set()
    for op in ops:
        if op[0] == "award":
            _, who, reason, source, quantity = op
            key = f"{reason}:{source}"
            entry = points_award(person=people[who], reason=reason, source_key=key, quantity=quantity)
            if key in awarded_keys:
                assert entry is None  # never twice for one source, whoever asks
            if entry is not None:
                awarded_keys.add(key)
                assert entry.delta > 0
        elif op[0] == "deduct":
            uncivil_record_create(
                inspector=inspector,
                person=people[op[1]],
                behaviour=UncivilBehaviour.SPITTING,
                lat=None,
                lon=None,
                address="广场",
                note="",
            )
        elif op[0] == "reverse":
            entries = list(
                PointsEntry.objects.filter(
                    reverses__isnull=True,
                    reversed_by__isnull=True,
                    reason__in=[Reason.REPORT, Reason.UNCIVIL, Reason.HONOUR],
                ).order_by("id")
            )
            if entries:
                entry_reverse(entry=entries[op[1] % len(entries)], actor=None)
        else:
            _, who, which = op
            person, reward = people[who], RewardItem.objects.get(pk=items[which].pk)
            before, count_before = balance_of(person), PointsEntry.objects.count()
            try:
                reward_redeem(person=person, item=reward)
            except Conflict:
                assert balance_of(person) == before and PointsEntry.objects.count() == count_before
                assert before < reward.cost or reward.stock == 0
            else:
                assert before >= reward.cost
                assert balance_of(person) == before - reward.cost >= 0
        for person in people:
            assert balance_of(person) == ledger_sum(person)
        keys = list(PointsEntry.objects.values_list("source_key", flat=True))
        assert len(keys) == len(set(keys))
        assert not RewardItem.objects.filter(stock__lt=0).exists()
