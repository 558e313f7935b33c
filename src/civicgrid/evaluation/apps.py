"""Civilized-city evaluation (文明城市测评): indicator system, sampled inspection, rectification, scores."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "civicgrid.evaluation"
    label = "evaluation"
    verbose_name = _("文明城市测评")
