from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GazetteerConfig(AppConfig):
    name = "civicgrid.gazetteer"
    label = "gazetteer"
    verbose_name = _("地名地址库")
