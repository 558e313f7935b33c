from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassifierConfig(AppConfig):
    name = "civicgrid.classifier"
    label = "classifier"
    verbose_name = _("智能分类")

    def ready(self) -> None:
        from civicgrid.core import periodic

        from .training import nightly_retrain

        # The models are retrained on the handled cases once a day (CIVICGRID_CLASSIFIER_RETRAIN_HOUR).
        periodic.register("classifier.nightly_retrain", nightly_retrain)
