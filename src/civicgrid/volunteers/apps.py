"""Volunteer service (志愿服务): teams, activities and shifts, sign-ups, check-in/out, hours → points, records."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "civicgrid.volunteers"
    label = "volunteers"
    verbose_name = _("志愿服务")
