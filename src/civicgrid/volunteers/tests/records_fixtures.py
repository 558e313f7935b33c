"""A small, fully known volunteer history for the record, certificate, export and statistics tests.

Rows are written with the ORM as the sign-up and hours services leave them (states, check-in times,
approved hours, who approved them): these modules only read that history, and each figure the tests
expect is worked out by hand from the table below.

    team 清洁队 (leader: the grid member 李强, department 青春山街道办事处, street 青春山街道)
      A1 环境清洁 "北苑清扫"   2026-10-10 09–12  王芳 attended 3.00 (rated 5, "认真负责") · 陈 attended 2.50 · 刘 no-show
      A1                       2026-11-07 09–12  王芳 attended 2.00 · 陈 cancelled
    team 交通队 (leader: the dispatcher 张伟, no street)
      A2 文明交通劝导 "路口劝导" 2026-11-14 07–09  王芳 attended 1.50 · 刘 attended, hours pending
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from civicgrid.volunteers.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Award,
    HoursState,
    Shift,
    Signup,
    SignupState,
    Team,
    TeamMembership,
    VolunteerProfile,
)

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=SH)


def at(day: str, hour: int, minute: int = 0) -> datetime:
    y, m, d = (int(x) for x in day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=SH)


@dataclass
class History:
    wang: VolunteerProfile
    chen: VolunteerProfile
    liu: VolunteerProfile
    cleaning: Team
    traffic: Team
    sweep: Activity
    crossing: Activity
    signups: dict[str, Signup]


def profile(user, number: str, name: str, phone: str, street=None) -> VolunteerProfile:
    return VolunteerProfile.objects.create(
        user=user, number=number, real_name=name, phone=phone, street=street, consent_at=at("2026-09-01", 9)
    )


def signup(shift, volunteer, state, *, hours=None, approver=None, approved=None, rating=None, evaluation=""):
    s = Signup.objects.create(shift=shift, volunteer=volunteer, state=state, created_at=shift.starts_at)
    if state == SignupState.ATTENDED:
        s.checked_in_at = shift.starts_at
        s.checked_out_at = shift.ends_at
        s.hours_claimed = Decimal(hours or "0")
        s.hours_state = HoursState.PENDING
        if approver is not None:
            s.hours_state = HoursState.APPROVED
            s.hours_approved = Decimal(hours)
            s.hours_approved_by = approver
            s.hours_approved_at = approved or shift.ends_at
            s.rating, s.evaluation = rating, evaluation
        s.save()
    return s


def build_history(world) -> History:
    from civicgrid.accounts.services import user_create

    chen_user = user_create(phone="13700000002", real_name="陈晨")
    liu_user = user_create(phone="13700000003", real_name="刘流")
    wang = profile(world.citizen, "V150603000001", "王芳", world.citizen.phone, world.street)
    chen = profile(chen_user, "V150603000002", "陈晨", "13700000002", world.street)
    liu = profile(liu_user, "V150603000003", "刘流", "13700000003")
    office = world.departments["JD_QCS"]
    cleaning = Team.objects.create(
        name="清洁队", street=world.street, department=office, leader=world.grid_member
    )
    traffic = Team.objects.create(name="交通队", leader=world.dispatcher)
    for team, people in ((cleaning, (wang, chen, liu)), (traffic, (wang, liu))):
        for v in people:
            TeamMembership.objects.create(team=team, volunteer=v)
    sweep = Activity.objects.create(
        title="北苑清扫",
        kind=ActivityType.CLEANING,
        description="清扫北苑社区公共区域",
        team=cleaning,
        created_by=world.grid_member,
        street=world.street,
        address="北苑社区广场",
        lat=39.615,
        lon=109.765,
        status=ActivityStatus.PUBLISHED,
        venue_secret="s1",
    )
    crossing = Activity.objects.create(
        title="=路口劝导",  # a name a spreadsheet would read as a formula
        kind=ActivityType.TRAFFIC,
        team=traffic,
        created_by=world.dispatcher,
        address="康巴什大街路口",
        lat=39.605,
        lon=109.775,
        status=ActivityStatus.PUBLISHED,
        venue_secret="s2",
    )
    oct10 = Shift.objects.create(
        activity=sweep, starts_at=at("2026-10-10", 9), ends_at=at("2026-10-10", 12), capacity=5, seats_taken=3
    )
    nov07 = Shift.objects.create(
        activity=sweep, starts_at=at("2026-11-07", 9), ends_at=at("2026-11-07", 12), capacity=5, seats_taken=1
    )
    nov14 = Shift.objects.create(
        activity=crossing,
        starts_at=at("2026-11-14", 7),
        ends_at=at("2026-11-14", 9),
        capacity=4,
        seats_taken=2,
    )
    leader, dispatcher = world.grid_member, world.dispatcher
    signups = {
        "wang_oct": signup(
            oct10, wang, SignupState.ATTENDED, hours="3", approver=leader, rating=5, evaluation="认真负责"
        ),
        "chen_oct": signup(oct10, chen, SignupState.ATTENDED, hours="2.5", approver=leader),
        "liu_oct": signup(oct10, liu, SignupState.NO_SHOW),
        "wang_nov": signup(nov07, wang, SignupState.ATTENDED, hours="2", approver=leader),
        "chen_nov": signup(nov07, chen, SignupState.CANCELLED),
        "wang_cross": signup(nov14, wang, SignupState.ATTENDED, hours="1.5", approver=dispatcher),
        "liu_cross": signup(nov14, liu, SignupState.ATTENDED, hours="2"),  # pending: not in any record
    }
    Award.objects.create(
        volunteer=wang, title="优秀志愿者", awarded_on=at("2026-11-20", 9).date(), awarded_by="康巴什区文明办"
    )
    return History(wang, chen, liu, cleaning, traffic, sweep, crossing, signups)


@pytest.fixture(name="history")
def history_fixture(world) -> History:
    return build_history(world)
