from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "civicgrid.codes"
    label = "codes"
    verbose_name = "码上生活 Codes"

    def ready(self) -> None:
        from civicgrid.codes import actions

        actions._register_builtin()
