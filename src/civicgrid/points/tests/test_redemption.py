"""Redemption: stock and balance in one transaction; vouchers signed and used exactly once."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connections

from civicgrid.cases.tests.helpers import local
from civicgrid.core import tokens
from civicgrid.core.errors import Conflict, PermissionDenied
from civicgrid.core.tokens import InvalidToken
from civicgrid.points.choices import Reason
from civicgrid.points.models import PointsEntry, RewardItem, Voucher
from civicgrid.points.selectors import balance_of
from civicgrid.points.services import points_award, reward_redeem, voucher_use
from civicgrid.points.tests.helpers import assert_cache_is_sum, item


def fund(person, points: int = 200) -> None:
    """One honour award: 200 points by the default rule."""
    assert points == 200
    points_award(person=person, reason=Reason.HONOUR, source_key=f"honour:seed:{person.pk}")


@pytest.mark.django_db
def test_redeem_debits_decrements_and_issues_a_signed_voucher(world):
    fund(world.citizen, 200)
    reward = item(cost=30, stock=2)
    voucher = reward_redeem(person=world.citizen, item=reward)
    assert tokens.verify("voucher", voucher.token)[1] == voucher.payload
    assert balance_of(world.citizen) == 170
    assert RewardItem.objects.get(pk=reward.pk).stock == 1
    assert voucher.entry.delta == -30 and voucher.entry.reason == Reason.REDEMPTION
    assert_cache_is_sum(world.citizen)


@pytest.mark.django_db
def test_no_redemption_below_zero_and_none_out_of_stock(world):
    fund(world.citizen, 200)
    with pytest.raises(Conflict) as err:
        reward_redeem(person=world.citizen, item=item(cost=201))
    assert err.value.code == "insufficient_points"
    with pytest.raises(Conflict) as err:
        reward_redeem(person=world.citizen, item=item(cost=1, stock=0))
    assert err.value.code == "out_of_stock"
    assert balance_of(world.citizen) == 200 and not Voucher.objects.exists()
    assert PointsEntry.objects.count() == 1


@pytest.mark.django_db
def test_a_voucher_used_twice_is_refused_the_second_time(world):
    fund(world.citizen, 200)
    voucher = reward_redeem(person=world.citizen, item=item(merchant=world.leader))
    used = voucher_use(token=voucher.token, merchant_user=world.leader)
    assert used.used_at is not None and used.used_by == world.leader
    with pytest.raises(Conflict) as err:
        voucher_use(token=voucher.token, merchant_user=world.leader)
    assert err.value.status == 409 and err.value.code == "voucher_used"


@pytest.mark.django_db
def test_forged_foreign_and_expired_vouchers_are_refused(world):
    fund(world.citizen, 200)
    with time_machine.travel(local(2026, 6, 1, 10)):
        voucher = reward_redeem(
            person=world.citizen, item=item(merchant=world.leader, valid_until=date(2026, 6, 30))
        )
        kid, payload, mac = voucher.token.split(".")
        with pytest.raises(InvalidToken):
            voucher_use(token=f"{kid}.{payload}.{mac[::-1]}", merchant_user=world.leader)
        with pytest.raises(InvalidToken):  # a code token is no voucher
            voucher_use(token=tokens.sign("code", payload), merchant_user=world.leader)
        with pytest.raises(PermissionDenied):
            voucher_use(token=voucher.token, merchant_user=world.dispatcher)  # not this item's merchant
    with time_machine.travel(local(2026, 7, 1, 0, 1)):
        with pytest.raises(Conflict) as err:
            voucher_use(token=voucher.token, merchant_user=world.leader)
    assert err.value.code == "voucher_expired"
    assert Voucher.objects.get(pk=voucher.pk).used_at is None


@pytest.mark.django_db
def test_without_a_merchant_account_only_counter_staff_may_mark_it_used(world):
    fund(world.citizen, 200)
    voucher = reward_redeem(person=world.citizen, item=item())
    for someone in (world.citizen, world.parks_handler, world.dispatcher):  # the holder; no counter staff
        with pytest.raises(PermissionDenied):
            voucher_use(token=voucher.token, merchant_user=someone)
    voucher_use(token=voucher.token, merchant_user=world.grid_member)


THREADS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_redemptions_of_stock_five_make_exactly_five_vouchers(world):
    people = [
        world.citizen,
        world.grid_member,
        world.dispatcher,
        world.roads_handler,
        world.parks_handler,
        world.department_admin,
        world.inspector,
        world.leader,
        world.admin,
    ]
    for person in people:
        fund(person, 200)
    reward = item(cost=50, stock=5)
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem(i: int) -> None:
        try:
            start.wait(timeout=30)
            reward_redeem(person=people[i % len(people)], item=reward)
            outcome = "ok"
        except Conflict as exc:
            outcome = exc.code
        except Exception as exc:  # reported below
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert sorted(outcomes) == ["ok"] * 5 + ["out_of_stock"] * 15, outcomes
    assert Voucher.objects.count() == 5
    assert RewardItem.objects.get(pk=reward.pk).stock == 0
    assert PointsEntry.objects.filter(reason=Reason.REDEMPTION).count() == 5
    for person in people:
        assert balance_of(person) >= 0
    assert_cache_is_sum(*people)


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_by_one_person_never_go_below_zero(world):
    fund(world.citizen, 200)  # enough for 4 of cost 50
    reward = item(cost=50, stock=100)
    start = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem() -> None:
        try:
            start.wait(timeout=30)
            reward_redeem(person=world.citizen, item=reward)
            outcome = "ok"
        except Conflict as exc:
            outcome = exc.code
        except Exception as exc:
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=redeem) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["insufficient_points"] * 6 + ["ok"] * 4, outcomes
    assert balance_of(world.citizen) == 0
    assert RewardItem.objects.get(pk=reward.pk).stock == 96
    assert_cache_is_sum(world.citizen)


@pytest.mark.django_db
def test_voucher_validity_defaults_to_ninety_days(world):
    fund(world.citizen, 200)
    with time_machine.travel(local(2026, 6, 1, 10), tick=False):
        voucher = reward_redeem(person=world.citizen, item=item())
    assert voucher.expires_at - voucher.issued_at == timedelta(days=90)
