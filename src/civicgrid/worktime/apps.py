from django.apps import AppConfig


class WorktimeConfig(AppConfig):
    name = "civicgrid.worktime"
    label = "worktime"
    verbose_name = "工作日历 Working calendar"

    def ready(self) -> None:
        from django.core import checks

        from civicgrid.worktime.checks import check_years_confirmed

        checks.register(check_years_confirmed)
