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
        from civicgrid.points.services import on_case_registered

        hooks.on(Action.REGISTER)(on_case_registered)
