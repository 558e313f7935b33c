from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "civicgrid.grids"
    label = "grids"
    verbose_name = _("网格")

    def ready(self) -> None:
        from civicgrid.accounts.models import command_area_checks
        from civicgrid.grids.scope import area_code_check

        if area_code_check not in command_area_checks:
            command_area_checks.append(area_code_check)
