from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobileConfig(AppConfig):
    name = "civicgrid.mobile"
    label = "mobile"
    verbose_name = _("市民与网格员")
