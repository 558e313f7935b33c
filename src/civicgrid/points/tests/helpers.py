"""Shared helpers of the points tests."""

from __future__ import annotations

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.points.models import PointsAccount, PointsEntry, RewardItem
from civicgrid.points.selectors import ledger_sum
from civicgrid.testing import PASSWORD


def second_inspector(phone: str = "13900000017", name: str = "吴敏"):
    return user_create(phone=phone, password=PASSWORD, real_name=name, role=Role.INSPECTOR)


def item(*, cost: int = 10, stock: int = 5, **extra) -> RewardItem:
    return RewardItem.objects.create(
        name=extra.pop("name", "洗车券"),
        merchant_name=extra.pop("merchant_name", "康巴什洗车行"),
        cost=cost,
        stock=stock,
        **extra,
    )


def assert_cache_is_sum(*people) -> None:
    for person in people:
        cached = PointsAccount.objects.filter(person=person).values_list("balance", flat=True).first() or 0
        assert cached == ledger_sum(person), person
    total = sum(PointsEntry.objects.values_list("delta", flat=True))
    assert sum(PointsAccount.objects.values_list("balance", flat=True)) == total
