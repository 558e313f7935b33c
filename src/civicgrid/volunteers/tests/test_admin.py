"""The volunteer admin pages open with data in them; records that change only through the services are
read-only; the two actions go through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse

from civicgrid.core import clock
from civicgrid.volunteers import services
from civicgrid.volunteers.models import (
    Activity,
    Award,
    Certificate,
    CheckAnomaly,
    Qualification,
    Shift,
    Signup,
    Team,
    VolunteerProfile,
)

MODELS = [Qualification, Team, VolunteerProfile, Activity, Shift, Signup, CheckAnomaly, Certificate]


def url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def full(vw):
    Qualification.objects.create(code="first_aid", name="急救证")
    profile = vw.world.citizen.volunteer
    services.team_join(team=vw.team, volunteer=profile)
    Award.objects.create(
        volunteer=profile, title="优秀志愿者", awarded_on=clock.now().date(), awarded_by="青春山街道"
    )
    services.signup_apply(shift=vw.shift, user=vw.world.citizen)
    services.check_in(
        user=vw.world.citizen,
        token=services.venue_code(activity=vw.activity, now=vw.start).token,
        now=vw.start,
    )
    Certificate.objects.create(
        volunteer=profile,
        code="TEST-CERT-1",
        period_end=clock.now().date(),
        hours=0,
        activities=0,
        digest="0" * 64,
        issued_by="x",
    )
    return vw


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_list_search_and_change_pages_open(client, full, model):
    client.force_login(full.world.admin)
    assert client.get(url(model, "changelist")).status_code == 200
    assert client.get(url(model, "changelist"), {"q": "1"}).status_code == 200
    obj = model.objects.order_by("pk").first()
    response = client.get(url(model, "change", obj.pk))
    assert response.status_code == 200, response.content[:300]


def test_what_the_services_own_is_read_only(rf, full):
    request = rf.get("/")
    request.user = full.world.admin
    for model in (Signup, CheckAnomaly, Certificate):
        assert not admin.site._registry[model].has_change_permission(request)
        assert not admin.site._registry[model].has_add_permission(request)
    shift_admin = admin.site._registry[Shift]
    assert set(shift_admin.get_readonly_fields(request)) >= {"capacity", "seats_taken", "starts_at"}
    assert "venue_secret" not in admin.site._registry[Activity].get_readonly_fields(request)


def test_a_citizen_sees_no_volunteer_admin(client, full):
    client.force_login(full.world.citizen)
    assert client.get(url(Signup, "changelist")).status_code == 302


def test_the_actions_reset_codes_and_close_shifts(client, full):
    client.force_login(full.world.admin)
    old = full.activity.venue_secret
    client.post(
        url(Activity, "changelist"), {"action": "reset_venue_codes", "_selected_action": [full.activity.pk]}
    )
    assert Activity.objects.get(pk=full.activity.pk).venue_secret != old
    # the shift has not ended: closing it is refused with the reason, nothing changes
    response = client.post(
        url(Shift, "changelist"), {"action": "close_shifts", "_selected_action": [full.shift.pk]}, follow=True
    )
    assert "班次尚未结束" in response.content.decode()
    ended = full.add_shift(start=clock.now() - timedelta(hours=5), hours=2)
    response = client.post(
        url(Shift, "changelist"), {"action": "close_shifts", "_selected_action": [ended.pk]}, follow=True
    )
    assert "已结束 1 个班次" in response.content.decode()
