"""A volunteer team led by 李强 (grid member), an activity of it at the test city's centre with one shift
tomorrow, and volunteers: 王芳 (the citizen persona) and more citizens made on demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.core import clock
from civicgrid.testing import PASSWORD
from civicgrid.volunteers import services
from civicgrid.volunteers.models import Activity, Shift, Team

LAT, LON = 39.61, 109.775


@dataclass
class VWorld:
    world: object
    team: Team
    leader: User
    activity: Activity
    shift: Shift
    start: datetime

    def citizen(self, n: int) -> User:
        """A registered volunteer 志愿者N (a new citizen account)."""
        user = user_create(
            phone=f"1370000{n:04d}", password=PASSWORD, real_name=f"志愿者{n}", role=Role.CITIZEN
        )
        services.volunteer_register(user=user, real_name=f"志愿者{n}", phone=user.phone)
        return user

    def add_shift(self, *, capacity: int = 5, start: datetime | None = None, hours: int = 3, **kw) -> Shift:
        start = start or self.start
        return services.shift_add(
            activity=self.activity,
            actor=self.leader,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            capacity=capacity,
            **kw,
        )


def build_vworld(world) -> VWorld:
    leader = world.grid_member
    team = services.team_create(
        name="青春山街道志愿服务队", leader=leader, street=world.street, actor=world.admin
    )
    activity = services.activity_create(
        actor=leader,
        title="文明交通劝导",
        kind="traffic",
        address="青春山路与北苑路路口",
        lat=LAT,
        lon=LON,
        team=team,
        fence_m=300,
    )
    start = (clock.now() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    shift = services.shift_add(
        activity=activity, actor=leader, starts_at=start, ends_at=start + timedelta(hours=3), capacity=5
    )
    services.volunteer_register(user=world.citizen, real_name="王芳", phone=world.citizen.phone)
    return VWorld(world=world, team=team, leader=leader, activity=activity, shift=shift, start=start)


@pytest.fixture
def vw(world) -> VWorld:
    return build_vworld(world)
