from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotspotsConfig(AppConfig):
    name = "civicgrid.hotspots"
    label = "hotspots"
    verbose_name = _("热点问题")

    def ready(self) -> None:
        from civicgrid.core import periodic
        from civicgrid.hotspots.services import refresh_due

        # Hot issues are re-clustered by the worker (incrementally), never on a page load.
        periodic.register("hotspots.refresh", refresh_due)
