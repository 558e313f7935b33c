from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "civicgrid.points"
    label = "points"
    verbose_name = _("市民积分 Citizen points")

    def ready(self) -> None:
        from civicgrid.accounts.services import personal_data_eraser
        from civicgrid.cases import hooks
        from civicgrid.cases.choices import Action
        from civicgrid.points.erasure import erase_personal_data
        from civicgrid.points.services import on_case_registered

        # A registered report earns "report" points inside the registration's transaction.
        hooks.on(Action.REGISTER)(on_case_registered)
        # An erasure of personal data masks the notes of the person's ledger entries and appeals.
        personal_data_eraser(erase_personal_data)
