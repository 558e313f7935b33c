"""Volunteer service (志愿服务): teams, activities and shifts, sign-ups, check-in/out, hours → points, records."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "civicgrid.volunteers"
    label = "volunteers"
    verbose_name = _("志愿服务")

    def ready(self) -> None:
        from civicgrid.accounts.services import personal_data_eraser
        from civicgrid.core import periodic
        from civicgrid.volunteers.checkin import remind_upcoming, shifts_close_due
        from civicgrid.volunteers.erasure import erase_personal_data

        # The day before a shift, everyone confirmed is reminded (once per shift).
        periodic.register("volunteers.remind_upcoming", remind_upcoming)
        # After a shift's check-out window: no-shows marked, stays without a check-out pending.
        periodic.register("volunteers.shifts_close_due", shifts_close_due)
        # An erasure of personal data masks the profile's name and phone and the sign-ups' notes and places.
        personal_data_eraser(erase_personal_data)
