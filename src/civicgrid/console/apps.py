from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "civicgrid.console"
    label = "console"
    verbose_name = "工作台 Staff console"
