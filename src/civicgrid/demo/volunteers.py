"""Volunteers of the demo city (志愿服务): teams, a month of past activities with attendance and approved
hours, one activity under way, and upcoming activities for the next two weeks with places part-filled.

Everything goes through the volunteer services as it would have happened (`core.clock.at` and the
services' `now`): registration, sign-ups, check-in and check-out with the rotating venue code at the
venue, the shift's close (no-shows), the organiser's approval — which awards the points through the
points ledger. The demo's citizen 王芳 is a volunteer with a record, an award, a certificate and an
upcoming shift; the teams are led by staff of the street offices and by 孙丽, the 城管局's department
admin, so that one demo account organises. A second run adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Role
from civicgrid.core import clock
from civicgrid.grids.models import Cell, Street
from civicgrid.volunteers import checkin, services
from civicgrid.volunteers.certificates import certificate_issue
from civicgrid.volunteers.codes import venue_code
from civicgrid.volunteers.models import (
    Activity,
    Award,
    HoursState,
    Shift,
    Signup,
    SignupState,
    Team,
    VolunteerProfile,
)

FIRST_CITIZEN = "13800000008"  # 王芳, the demo's citizen account
ORGANISER = "13800000004"  # 孙丽, 城管局 department admin: leads the 创城 team
PEOPLE = 60

# (team name, street code suffix, department code, leader: "street_office" or a phone, activities)
# activities: (title, kind, description, place)
TEAMS = [
    (
        "哈巴格希街道环境清洁志愿队",
        "001",
        "JD-HBGX",
        "street_office",
        [
            ("社区环境清扫", "cleaning", "清扫楼道、绿地和公共区域的垃圾杂物，清理小广告。", "团结社区广场"),
            ("垃圾分类指导", "publicity", "在投放点指导居民分类投放，讲解分类知识。", "文化社区垃圾分类亭"),
        ],
    ),
    (
        "青春山街道文明交通志愿队",
        "002",
        "JD-QCS",
        "street_office",
        [
            (
                "文明交通劝导",
                "traffic",
                "在路口劝导行人和电动车遵守信号灯，不闯红灯、不逆行。",
                "青春山路路口",
            ),
            (
                "共享单车规范停放",
                "civilized_city",
                "整理人行道上乱停的共享单车，引导规范停放。",
                "华泰社区地铁口",
            ),
        ],
    ),
    (
        "滨河街道关爱帮扶志愿队",
        "003",
        "JD-BH",
        "street_office",
        [
            (
                "空巢老人探访",
                "care",
                "上门探访独居和空巢老人，帮忙打扫、陪伴聊天，了解需要。",
                "康和社区服务站",
            ),
            ("爱心助餐送餐", "care", "为行动不便的老人送餐上门。", "滨河社区长者食堂"),
        ],
    ),
    (
        "城管局创城志愿服务队",
        "004",
        "CGJ",
        ORGANISER,
        [
            (
                "创城文明督导",
                "civilized_city",
                "巡查街面秩序，劝导占道经营和乱扔垃圾，记录问题随手拍上报。",
                "康新社区商业街",
            ),
            ("市容政策宣传", "publicity", "向商户宣传门前三包和市容管理规定。", "园丁社区便民市场"),
        ],
    ),
]
PAST_DAYS = (26, 19, 12, 5)  # past activities, days ago
UPCOMING_DAYS = (2, 6, 11)  # upcoming activities, days ahead
EVALUATIONS = ["认真负责", "主动热情，服务周到", "准时到岗，表现突出", "", "", ""]


@dataclass
class VolunteerSummary:
    volunteers: int = 0
    teams: int = 0
    activities: int = 0
    signups: int = 0
    approved: int = 0


def _local(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _place(rng: random.Random, street: Street) -> tuple[float, float]:
    cells = list(Cell.objects.filter(street=street).order_by("code")[:40])
    cell = rng.choice(cells)
    return (cell.min_lat + cell.max_lat) / 2, (cell.min_lon + cell.max_lon) / 2


def _leader(spec: str, department: Department) -> User | None:
    if spec != "street_office":
        return User.objects.filter(phone=spec, is_active=True).first()
    return (
        User.objects.filter(
            department=department, role__in=[Role.DEPARTMENT_ADMIN, Role.HANDLER], is_active=True
        )
        .order_by("role", "phone")
        .first()
    )


@transaction.atomic
def build_volunteers(
    *, seed: int = 17, people: int = PEOPLE, first_phone: str = FIRST_CITIZEN
) -> VolunteerSummary:
    """The demo's volunteers, teams and activities (nothing when the first team exists already)."""
    out = VolunteerSummary()
    if Team.objects.filter(name=TEAMS[0][0]).exists():
        return out
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()
    if admin is None:
        return out
    rng = random.Random(seed)
    now = clock.now()
    today = timezone.localdate(now)
    first = User.objects.filter(phone=first_phone, role=Role.CITIZEN).first()
    citizens = list(
        User.objects.filter(role=Role.CITIZEN, is_active=True)
        .exclude(phone=first_phone)
        .order_by("id")[: people - 1]
    )
    if first is not None:
        citizens.insert(0, first)

    teams = []
    for name, street_no, dept_code, leader_spec, activities in TEAMS:
        street = Street.objects.filter(code__endswith=street_no).order_by("code").first()
        department = Department.objects.filter(code=dept_code).first()
        leader = _leader(leader_spec, department) if department else None
        if street is None or department is None or leader is None:
            continue
        with clock.at(now - timedelta(days=60)):
            team = services.team_create(
                name=name,
                leader=leader,
                street=street,
                department=department,
                actor=admin,
                description=f"{street.name}的志愿服务队伍。",
            )
        teams.append((team, leader, street, activities))
    out.teams = len(teams)
    if not teams:
        return out

    # Volunteers: each in one team (王芳 in the traffic team and the 创城 team), registered weeks ago.
    members: dict[int, list[User]] = {team.pk: [] for team, *_ in teams}
    for n, person in enumerate(citizens):
        team, _leader_user, street, _acts = (
            teams[1 % len(teams)] if person == first else teams[n % len(teams)]
        )
        with clock.at(now - timedelta(days=45 - n % 10)):
            volunteer = services.volunteer_register(
                user=person,
                real_name=person.real_name or f"志愿者{n}",
                phone=person.phone,
                street=street,
                skills=rng.sample(["急救", "驾驶", "摄影", "手语", "心理疏导", "电脑"], k=rng.randint(0, 2)),
            )
            services.team_join(team=team, volunteer=volunteer)
            members[team.pk].append(person)
            if person == first and len(teams) > 3:
                services.team_join(team=teams[3][0], volunteer=volunteer)
                members[teams[3][0].pk].append(person)
        out.volunteers += 1

    home = 1 % len(teams)  # 王芳's own team; her second team works afternoons, so her shifts never overlap
    for t, (team, leader, street, acts) in enumerate(teams):
        crew = Crew(team, leader, street, acts, members[team.pk], rng, out)
        hour = 9 if t < 2 else 14
        for k, days in enumerate(PAST_DAYS):
            _past(crew, acts[k % len(acts)], _local(today - timedelta(days=days - t % 2), hour), first)
        if t == 0:
            _live(crew, acts[0], now)
        for k, days in enumerate(UPCOMING_DAYS):
            _upcoming(
                crew,
                acts[(k + 1) % len(acts)],
                today + timedelta(days=days + t % 2),
                now,
                first if k == 0 and t == home else None,
            )
    _awards_and_certificate(first, teams, now)
    return out


@dataclass
class Crew:
    """A team at work: its leader, street, kinds of activity and members, the dice and the tally."""

    team: Team
    leader: User
    street: Street
    acts: list
    people: list[User]
    rng: random.Random
    out: VolunteerSummary

    def activity(self, spec: tuple, *, created: datetime | None = None) -> Activity:
        title, kind, description, place = spec
        lat, lon = _place(self.rng, self.street)
        with clock.at(created or clock.now()):
            activity = services.activity_create(
                actor=self.leader,
                title=title,
                kind=kind,
                address=place,
                lat=lat,
                lon=lon,
                description=description,
                team=self.team,
                street=self.street,
            )
        self.out.activities += 1
        return activity

    def shift(self, activity: Activity, start: datetime, end: datetime, capacity: int, **kw) -> Shift:
        with clock.at(activity.created_at):
            return services.shift_add(
                activity=activity, actor=self.leader, starts_at=start, ends_at=end, capacity=capacity, **kw
            )

    def sign_up(self, shift: Shift, person: User, at: datetime) -> Signup:
        self.out.signups += 1
        return services.signup_apply(shift=shift, user=person, now=at)


def _scan(person: User, activity: Activity, at: datetime, *, out: bool = False) -> None:
    """The volunteer scans the venue code shown at that moment, standing at the venue."""
    scan = checkin.check_out if out else checkin.check_in
    token = venue_code(activity=activity, now=at).token
    scan(user=person, token=token, lat=activity.lat, lon=activity.lon, now=at)


def _past(crew: Crew, spec: tuple, start: datetime, first: User | None) -> None:
    """A past activity: sign-ups days before, check-in and -out at the venue (some no-shows, some leave
    early), the shift closed, the hours approved the next morning (points through the ledger)."""
    rng = crew.rng
    end = start + timedelta(hours=3)
    activity = crew.activity(spec, created=start - timedelta(days=7))
    shift = crew.shift(activity, start, end, 10)
    chosen = rng.sample(crew.people, min(len(crew.people), rng.randint(6, 9)))
    if first in crew.people and first not in chosen:
        chosen[0] = first
    signups = [(p, crew.sign_up(shift, p, start - timedelta(days=rng.randint(1, 5)))) for p in chosen]
    for person, signup in signups:
        if signup.state != SignupState.CONFIRMED or (person != first and rng.random() < 0.12):
            continue  # a no-show (marked when the shift closes)
        _scan(person, activity, start - timedelta(minutes=rng.randint(0, 20)))
        _scan(person, activity, end - timedelta(minutes=rng.choice((0, 0, 0, 30, 60))), out=True)
    checkin.shift_close(shift=shift, actor=crew.leader, now=end + timedelta(hours=2))
    with clock.at(end + timedelta(hours=20)):
        for signup in Signup.objects.filter(shift=shift, hours_state=HoursState.PENDING).order_by("id"):
            services.hours_approve(
                signup=signup,
                actor=crew.leader,
                rating=rng.choice((4, 5, 5)),
                evaluation=rng.choice(EVALUATIONS),
            )
            crew.out.approved += 1


def _live(crew: Crew, spec: tuple, now: datetime) -> None:
    """An activity under way: started an hour ago, three of five checked in."""
    start = now.replace(second=0, microsecond=0) - timedelta(hours=1)
    activity = crew.activity(spec, created=start - timedelta(days=3))
    shift = crew.shift(activity, start, start + timedelta(hours=3), 8)
    for person in crew.people[1:6]:
        crew.sign_up(shift, person, start - timedelta(days=1))
    for person in crew.people[1:4]:
        _scan(person, activity, start)


def _upcoming(crew: Crew, spec: tuple, day, now: datetime, first: User | None) -> None:
    """An activity ahead: a morning and an afternoon shift, a few places taken."""
    activity = crew.activity(spec)
    shifts = []
    for hour in (9, 14):
        start = _local(day, hour)
        shift = crew.shift(
            activity,
            start,
            _local(day, hour + 2, 30),
            crew.rng.choice((8, 10, 12)),
            signup_deadline=start - timedelta(hours=12),
        )
        for person in crew.rng.sample(crew.people, min(len(crew.people), crew.rng.randint(2, 5))):
            crew.sign_up(shift, person, now)
        shifts.append(shift)
    if first is not None and first in crew.people:
        if not Signup.objects.filter(shift=shifts[0], volunteer__user=first).exists():
            crew.sign_up(shifts[0], first, now)


def _awards_and_certificate(first: User | None, teams, now: datetime) -> None:
    """An award for 王芳 and the two volunteers with the most hours; a certificate for 王芳."""
    from django.db.models import Sum

    top = (
        VolunteerProfile.objects.annotate(h=Sum("signups__hours_approved"))
        .filter(h__isnull=False)
        .order_by("-h", "id")[:2]
    )
    honoured = list(top)
    profile = VolunteerProfile.objects.filter(user=first).first() if first is not None else None
    if profile is not None and profile not in honoured:
        honoured.insert(0, profile)
    for volunteer in honoured:
        Award.objects.create(
            volunteer=volunteer,
            title="优秀志愿者",
            awarded_on=timezone.localdate(now) - timedelta(days=3),
            awarded_by="康巴什区精神文明建设办公室",
        )
    if profile is not None and profile.signups.filter(hours_state="approved").exists():
        certificate_issue(volunteer=profile, actor=teams[1][1] if len(teams) > 1 else None)
