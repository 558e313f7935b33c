from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "civicgrid.grids"
    label = "grids"
    verbose_name = "网格 Grids"
