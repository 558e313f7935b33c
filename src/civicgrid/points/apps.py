from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "civicgrid.points"
    label = "points"
    verbose_name = _("市民积分")

    def ready(self) -> None:
        from civicgrid.accounts.services import personal_data_eraser
        from civicgrid.cases import hooks
        from civicgrid.cases.choices import Action
        from civicgrid.core import periodic
        from civicgrid.points.erasure import erase_personal_data
        from civicgrid.points.services import on_case_registered, uncivil_confirm_due

        # A registered report earns "report" points inside the registration's transaction.
        hooks.on(Action.REGISTER)(on_case_registered)
        # Deductions whose appeal window passed without an appeal are confirmed by the worker.
        periodic.register("points.uncivil_confirm_due", uncivil_confirm_due)
        # An erasure of personal data masks the notes of the person's ledger entries and appeals.
        personal_data_eraser(erase_personal_data)
