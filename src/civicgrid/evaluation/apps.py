"""Civilized-city evaluation (文明城市测评): indicator system, sampled inspection, rectification, scores."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "civicgrid.evaluation"
    label = "evaluation"
    verbose_name = _("文明城市测评")

    def ready(self) -> None:
        from civicgrid.cases import hooks
        from civicgrid.cases.choices import Action
        from civicgrid.core import periodic
        from civicgrid.evaluation.rectification import case_closed, tasks_overdue_escalate

        # A rectification task that opened a case closes when the case is closed (结案).
        hooks.on(Action.CLOSE)(case_closed)
        periodic.register("evaluation.tasks_overdue_escalate", tasks_overdue_escalate)
