"""The demo city's volunteers: teams with leaders (one of them a demo staff account), a month of past
activities with attendance and approved hours (points through the ledger), one under way, upcoming ones
part-filled; the demo citizen is a volunteer with a record and a certificate; a second run adds nothing."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.test import Client

from civicgrid.accounts.models import DepartmentKind
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.core import clock
from civicgrid.demo.volunteers import TEAMS, build_volunteers
from civicgrid.points.models import PointsEntry
from civicgrid.volunteers.certificates import certificate_verify
from civicgrid.volunteers.models import (
    Activity,
    Certificate,
    HoursState,
    Shift,
    Signup,
    SignupState,
    Team,
    VolunteerProfile,
)
from civicgrid.volunteers.records import volunteer_record
from civicgrid.volunteers.stats import volunteer_stats

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_people(world, monkeypatch):
    """The test city stands in for the demo's: its one street takes the four teams, each street office
    has a handler, 孙丽 leads the 城管局 team; 20 more citizens."""
    from civicgrid.accounts.models import Department

    for i, code in enumerate(("JD-HBGX", "JD-QCS", "JD-BH")):
        office, _ = Department.objects.get_or_create(
            code=code, defaults={"name": code, "kind": DepartmentKind.STREET_OFFICE}
        )
        user_create(phone=f"1361000000{i}", real_name=f"街道干部{i}", role=Role.HANDLER, department=office)
    for i in range(20):
        user_create(phone=f"13700001{i:03d}", real_name=f"市民{i}")
    teams = [
        (name, "001", dept, world.department_admin.phone if lead != "street_office" else lead, acts)
        for name, _street, dept, lead, acts in TEAMS
    ]
    monkeypatch.setattr("civicgrid.demo.volunteers.TEAMS", teams)


def test_the_demo_builds_teams_records_and_upcoming_activities(world, demo_people):
    summary = build_volunteers(people=16, first_phone=world.citizen.phone)
    assert summary.teams == 4 and Team.objects.count() == 4
    assert Team.objects.filter(leader=world.department_admin).exists()  # a demo staff account organises
    assert summary.volunteers == VolunteerProfile.objects.count() == 16

    wang = VolunteerProfile.objects.get(user=world.citizen)
    record = volunteer_record(wang)
    assert record.services >= 4 and record.total_hours > 0 and record.awards
    cert = Certificate.objects.get(volunteer=wang)
    assert certificate_verify(cert.code).genuine
    # Approved hours became points, one ledger entry per approved sign-up with whole hours.
    approved = Signup.objects.filter(hours_state=HoursState.APPROVED)
    assert approved.count() == summary.approved > 0
    keys = set(
        PointsEntry.objects.filter(source_key__startswith="volunteer:signup:").values_list(
            "source_key", flat=True
        )
    )
    assert keys == {f"volunteer:signup:{s.pk}" for s in approved if s.hours_approved >= 1}
    assert Signup.objects.filter(state=SignupState.NO_SHOW).exists()

    now = clock.now()
    upcoming = Shift.objects.filter(starts_at__gt=now)
    assert upcoming.count() == 4 * 3 * 2
    assert all(0 < s.seats_taken < s.capacity for s in upcoming)
    assert Shift.objects.filter(starts_at__lte=now, ends_at__gt=now).count() == 1  # under way
    assert Signup.objects.filter(
        volunteer=wang, shift__starts_at__gt=now, state=SignupState.CONFIRMED
    ).exists()
    stats = volunteer_stats()
    assert stats.active > 0 and stats.hours == approved.aggregate(h=Sum("hours_approved"))["h"]
    assert stats.no_show_rate is not None and stats.upcoming_activities == 12

    client = Client()
    layer = client.get("/api/map/layers/volunteers", {"bbox": "109.75,39.59,109.80,39.63", "zoom": 14}).json()
    assert len(layer["features"]) == Activity.objects.filter(shifts__ends_at__gt=now).distinct().count() == 13
    assert {f["properties"]["state"] for f in layer["features"]} >= {"live", "open"}

    before = (Signup.objects.count(), PointsEntry.objects.count())
    assert (
        build_volunteers(people=16, first_phone=world.citizen.phone).volunteers == 0
    )  # a second run adds nothing
    assert (Signup.objects.count(), PointsEntry.objects.count()) == before
