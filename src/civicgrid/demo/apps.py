from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "civicgrid.demo"
    label = "demo"
    verbose_name = "演示城市 Demo city"
