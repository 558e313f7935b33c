from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassifierConfig(AppConfig):
    name = "civicgrid.classifier"
    label = "classifier"
    verbose_name = _("智能分类")
