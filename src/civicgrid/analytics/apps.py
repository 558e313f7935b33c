from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "civicgrid.analytics"
    label = "analytics"
    verbose_name = _("统计分析")

    def ready(self) -> None:
        from civicgrid.analytics.rollups import apply_pending
        from civicgrid.core import periodic

        # New case events are counted into the rollups by the worker, a batch per pass.
        periodic.register("analytics.apply_pending", apply_pending)
