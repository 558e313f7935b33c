from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodesConfig(AppConfig):
    name = "civicgrid.codes"
    label = "codes"
    verbose_name = _("码上生活")

    def ready(self) -> None:
        from civicgrid.codes import actions

        actions._register_builtin()
