from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    verbose_name = _("案件 Cases")

    def ready(self) -> None:
        # An erasure of personal data masks the contact fields and notes cases hold.
        from civicgrid.accounts.services import personal_data_eraser
        from civicgrid.cases.erasure import erase_personal_data

        personal_data_eraser(erase_personal_data)
