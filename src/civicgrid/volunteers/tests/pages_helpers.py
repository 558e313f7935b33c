"""A small volunteer world for the page tests: 李强 (grid member) leads 北苑志愿队, which runs 北苑清扫 with
a shift the day after tomorrow (2 places); 周杰 (inspector) leads another team with its own activity;
王芳 (citizen) is a registered volunteer, 赵敏 (leader) is not one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.test import Client

from civicgrid.core import clock
from civicgrid.volunteers import services
from civicgrid.volunteers.models import Activity, ActivityType, Shift, Team, VolunteerProfile

# Inside the test city (testing.build_world): 北苑一格.
LAT, LON = 39.615, 109.765


@dataclass
class VolWorld:
    team: Team
    other_team: Team
    activity: Activity
    shift: Shift
    other_activity: Activity
    other_shift: Shift
    wang: VolunteerProfile


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def build(world) -> VolWorld:
    w = world
    admin = w.admin
    team = services.team_create(name="北苑志愿队", leader=w.grid_member, community=w.north, actor=admin)
    other_team = services.team_create(name="督查志愿队", leader=w.inspector, street=w.street, actor=admin)
    start = (clock.now() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    activity = services.activity_create(
        actor=w.grid_member,
        title="北苑清扫",
        kind=ActivityType.CLEANING,
        address="北苑社区东门",
        lat=LAT,
        lon=LON,
        team=team,
        description="清理绿化带垃圾",
    )
    shift = services.shift_add(
        activity=activity,
        actor=w.grid_member,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=2,
    )
    other = services.activity_create(
        actor=w.inspector,
        title="路口劝导",
        kind=ActivityType.TRAFFIC,
        address="青春山路口",
        lat=LAT + 0.002,
        lon=LON + 0.002,
        team=other_team,
    )
    other_shift = services.shift_add(
        activity=other, actor=w.inspector, starts_at=start, ends_at=start + timedelta(hours=2), capacity=5
    )
    wang = services.volunteer_register(user=w.citizen, real_name="王芳", phone=w.citizen.phone, consent=True)
    return VolWorld(team, other_team, activity, shift, other, other_shift, wang)
