from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassifierConfig(AppConfig):
    name = "civicgrid.classifier"
    label = "classifier"
    verbose_name = _("智能分类")

    def ready(self) -> None:
        from civicgrid.cases import hooks
        from civicgrid.cases.choices import Action
        from civicgrid.core import periodic

        from . import suggestions
        from .training import nightly_retrain

        # The models are retrained on the handled cases once a day (CIVICGRID_CLASSIFIER_RETRAIN_HOUR).
        periodic.register("classifier.nightly_retrain", nightly_retrain)

        # What became of each suggestion, resolved by the moves of the case loop (in their transaction).
        hooks.on(Action.REPORT)(suggestions.on_case_reported)
        hooks.on(Action.REGISTER)(suggestions.on_case_registered)
        hooks.on(Action.DISPATCH)(suggestions.on_case_dispatched)
        hooks.on(Action.RETURN)(suggestions.on_case_returned)
