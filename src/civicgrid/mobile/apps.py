from django.apps import AppConfig


class MobileConfig(AppConfig):
    name = "civicgrid.mobile"
    label = "mobile"
    verbose_name = "市民与网格员 H5 Citizen and grid-member pages"
