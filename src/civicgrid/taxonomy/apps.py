from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxonomyConfig(AppConfig):
    name = "civicgrid.taxonomy"
    label = "taxonomy"
    verbose_name = _("分类与派遣规则")

    def ready(self) -> None:
        from civicgrid.taxonomy import cache  # noqa: F401  (connects the signals that keep it current)
