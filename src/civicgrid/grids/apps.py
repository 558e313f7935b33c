from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "civicgrid.grids"
    label = "grids"
    verbose_name = _("网格 Grids")
