from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorktimeConfig(AppConfig):
    name = "civicgrid.worktime"
    label = "worktime"
    verbose_name = _("工作日历")

    def ready(self) -> None:
        from django.core import checks

        from civicgrid.worktime.checks import check_years_confirmed

        checks.register(check_years_confirmed)
