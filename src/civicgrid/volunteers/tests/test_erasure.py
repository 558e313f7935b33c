"""An erasure of personal data masks a volunteer's name, phone, notes and check-in places, and keeps the
record of service (sign-ups, hours, points) whole."""

from __future__ import annotations

from datetime import timedelta

from civicgrid.accounts.services import personal_data_erase
from civicgrid.core.masking import ERASED
from civicgrid.volunteers import services
from civicgrid.volunteers.models import CheckAnomaly, Signup, SignupEvent, VolunteerProfile
from civicgrid.volunteers.tests.conftest import LAT, LON


def test_erasure_masks_the_volunteer_and_keeps_the_service(vw):
    user = vw.world.citizen
    services.volunteer_register(user=user, real_name="王芳", phone=user.phone, skills=["急救"])
    signup = services.signup_apply(shift=vw.shift, user=user)
    t_in, t_out = vw.start, vw.start + timedelta(hours=2)
    services.check_in(
        user=user, token=services.venue_code(activity=vw.activity, now=t_in).token, lat=LAT, lon=LON, now=t_in
    )
    services.check_in(
        user=user, token=services.venue_code(activity=vw.activity, now=t_in).token, lat=LAT, lon=LON, now=t_in
    )
    services.check_out(
        user=user,
        token=services.venue_code(activity=vw.activity, now=t_out).token,
        lat=LAT,
        lon=LON,
        now=t_out,
    )
    services.hours_approve(signup=signup, actor=vw.leader, hours=1, note="王芳提前离开")
    number = user.volunteer.number

    personal_data_erase(person=user, actor=vw.world.admin, reason="本人申请")

    profile = VolunteerProfile.objects.get(user=user)
    assert (profile.real_name, profile.phone, profile.birth_date, profile.skills) == (ERASED, "", None, [])
    assert profile.number == number
    signup = Signup.objects.get(pk=signup.pk)
    assert signup.state == "attended" and str(signup.hours_approved) == "1.00"
    assert (signup.checkin_lat, signup.checkin_lon) == (None, None)
    assert signup.hours_note == ERASED
    notes = set(SignupEvent.objects.filter(signup=signup).exclude(note="").values_list("note", flat=True))
    assert notes == {ERASED}
    assert CheckAnomaly.objects.get(signup=signup).lat is None
