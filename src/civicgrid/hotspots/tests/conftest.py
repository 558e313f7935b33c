"""Fixtures of the hot-issue tests: the generated reports with known clusters, reported through the intake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case
from civicgrid.core import clock
from civicgrid.hotspots.tests.generated import Generated, generated_reports
from civicgrid.taxonomy.models import Category

EPOCH = timezone.make_aware(datetime(2026, 9, 1, 8, 0))


@dataclass
class Reported:
    data: Generated
    cases: list[Case]  # one per generated report, in its order
    epoch: datetime

    def at(self, k: int) -> datetime:
        return self.epoch + timedelta(seconds=float(self.data.t[k]))

    @property
    def end(self) -> datetime:
        return self.epoch + timedelta(seconds=float(self.data.t.max()))


@pytest.fixture
def report_history(world, categories):
    """`report(upto=None)` reports the generated reports (those before `upto` seconds, or the rest) in
    time order through `case_submit`, each by one of eight citizens; returns the Reported so far."""
    return history_reporter(EPOCH)


@pytest.fixture
def recent_history(world, categories):
    """The generated history ending two days ago (its later clusters in the last 30 days)."""
    return history_reporter(timezone.now() - timedelta(days=55))


def history_reporter(epoch: datetime):
    data = generated_reports(seed=11, noise=20, scale=0.35, lat0=39.61, lon0=109.775)
    category_of = {}
    for number in sorted(set(int(c) for c in data.categories)):
        category_of[number] = Category.objects.create(
            kind="matter",
            code=f"9{number:04d}",
            major_name="测试大类",
            name=f"测试分类{number}",
            is_local=True,
        )
    citizens = [
        user_create(phone=f"1370000{k:04d}", password="x-pass-2026", real_name=f"市民{k}", role=Role.CITIZEN)
        for k in range(8)
    ]
    order = sorted(range(len(data.t)), key=lambda k: data.t[k])
    cases: dict[int, Case] = {}

    def report(upto: float | None = None) -> Reported:
        for k in order:
            if k in cases or (upto is not None and data.t[k] >= upto):
                continue
            with clock.at(epoch + timedelta(seconds=float(data.t[k]))):
                result = case_submit(
                    reporter=citizens[k % len(citizens)],
                    submission=Submission(
                        description=data.texts[k],
                        lat=float(data.lat[k]),
                        lon=float(data.lon[k]),
                        category=category_of[int(data.categories[k])],
                    ),
                )
            cases[k] = result.case
        return Reported(data, [cases.get(k) for k in range(len(data.t))], epoch)

    return report
