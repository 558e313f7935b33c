"""The demo city's classifiers (智能分类): trained on its handled cases, so suggestions work from the start."""

from django.conf import settings

from civicgrid.classifier.models import Target
from civicgrid.classifier.services import training_rows
from civicgrid.classifier.training import model_retrain


def train_classifiers() -> list[str]:
    """Train (and, when better than the active one, activate) the category and department models.

    A target with fewer handled cases than CIVICGRID_CLASSIFIER_MIN_SAMPLES is left alone (a small demo, the
    tests). Returns one line per target for the demo's progress report."""
    lines = []
    for target in (Target.CATEGORY, Target.DEPARTMENT):
        texts, labels = training_rows(target)
        if len(texts) < settings.CIVICGRID_CLASSIFIER_MIN_SAMPLES or len(set(labels)) < 2:
            lines.append(f"{target}: {len(texts)} handled cases, too few to train")
            continue
        registered = model_retrain(target)
        metrics = registered.version.metrics
        lines.append(
            f"{target}: #{registered.version.pk} on {registered.version.train_count} cases, held-back macro-F1 "
            f"{metrics.get('macro_f1', 0):.3f}{'' if registered.activated else ' (the active model stays)'}"
        )
    return lines
