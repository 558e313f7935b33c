from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "civicgrid.points"
    label = "points"
    verbose_name = _("市民积分 Citizen points")

    def ready(self) -> None:
        # A registered report earns "report" points inside the registration's transaction.
        from civicgrid.cases import hooks
        from civicgrid.cases.choices import Action
        from civicgrid.core import periodic
        from civicgrid.points.services import on_case_registered, uncivil_confirm_due

        hooks.on(Action.REGISTER)(on_case_registered)
        # Deductions whose appeal window passed without an appeal are confirmed by the worker.
        periodic.register("points.uncivil_confirm_due", uncivil_confirm_due)
