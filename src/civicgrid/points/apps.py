from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "civicgrid.points"
    label = "points"
    verbose_name = "市民积分 Citizen points"
