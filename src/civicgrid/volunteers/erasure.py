"""What an erasure of personal data masks in volunteer service (registered with
accounts.services.personal_data_eraser).

The record of service stays whole — sign-ups, check-in times, hours and points, so team and street
figures do not move; the profile keeps its volunteer number (what the records are identified by)
and loses the name, phone, birth date and skills; the free text of the person's sign-up events, the
organiser's notes and evaluations of them and the place of their check-ins and anomalies are masked.
"""

from __future__ import annotations

from civicgrid.core.masking import ERASED
from civicgrid.volunteers.models import CheckAnomaly, Signup, SignupEvent, VolunteerProfile


def erase_personal_data(*, person, phone: str) -> dict[str, int]:
    profiles = VolunteerProfile.objects.filter(user=person).update(
        real_name=ERASED, phone="", birth_date=None, skills=[]
    )
    events = SignupEvent.objects.filter(signup__volunteer__user=person).exclude(note="").update(note=ERASED)
    places = Signup.objects.filter(volunteer__user=person, checkin_lat__isnull=False).update(
        checkin_lat=None, checkin_lon=None
    )
    mine = Signup.objects.filter(volunteer__user=person)
    notes = mine.exclude(hours_note="").update(hours_note=ERASED)
    notes += mine.exclude(evaluation="").update(evaluation=ERASED)
    anomalies = CheckAnomaly.objects.filter(volunteer__user=person, lat__isnull=False).update(
        lat=None, lon=None
    )
    return {
        "volunteers.VolunteerProfile": profiles,
        "volunteers.SignupEvent.note": events,
        "volunteers.Signup.checkin_place": places,
        "volunteers.Signup.notes": notes,
        "volunteers.CheckAnomaly.place": anomalies,
    }
