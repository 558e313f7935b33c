"""Training (训练) with a held-back part, and retraining: a new version becomes active only when it beats the
active one on the same held-back texts (or an admin activates it).

- `split`: a stratified held-back part (default 20 %, fixed seed); a label with fewer than
  `MIN_TO_HOLD_BACK` texts stays wholly in training (it could not be learnt otherwise).
- `train`: fit on the training part, evaluate on the held-back part.
- `model_register`: store a trained model as a version, evaluate the active one on the new one's held-back
  texts, and activate the new one only if its macro-F1 is higher (or nothing is active).
- `model_retrain(target)`: all of it on the handled cases in the database.
- `model_activate`: under a lock on the target's versions, so two activations at once leave one active.
- `nightly_retrain`: the worker's periodic task, once a day at CIVICGRID_CLASSIFIER_RETRAIN_HOUR.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from civicgrid.core import clock
from civicgrid.core.errors import DomainError

from .evaluation import Evaluation, evaluate
from .models import ModelVersion, NightlyRetrain, Target
from .pipeline import TextClassifier
from .store import model_version_load, model_version_save

logger = logging.getLogger("civicgrid.classifier")

HELDOUT_SHARE = 0.2
SEED = 2026
MIN_TO_HOLD_BACK = 3


@dataclass
class Trained:
    classifier: TextClassifier
    train_count: int
    heldout_texts: list[str]
    heldout_labels: list[str]
    evaluation: Evaluation | None
    train_s: float


@dataclass
class Registered:
    version: ModelVersion
    activated: bool
    # the model that was active before, evaluated on the new model's held-back texts
    previous: ModelVersion | None
    previous_evaluation: Evaluation | None


def split(
    texts: list[str], labels: list[str], *, share: float = HELDOUT_SHARE, seed: int = SEED
) -> tuple[list[int], list[int]]:
    """(training indices, held-back indices): `share` of each label's texts held back, at least one, chosen
    at random under `seed`; a label with fewer than MIN_TO_HOLD_BACK texts is held back not at all."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train: list[int] = []
    held: list[int] = []
    for label in sorted(by_label):
        rows = by_label[label]
        if share <= 0 or len(rows) < MIN_TO_HOLD_BACK:
            train.extend(rows)
            continue
        order = rng.permutation(len(rows))
        count = min(len(rows) - 2, max(1, round(len(rows) * share)))
        held.extend(rows[j] for j in order[:count])
        train.extend(rows[j] for j in order[count:])
    return sorted(train), sorted(held)


def rows_check(texts: list[str], labels: list[str]) -> None:
    """Refuse what cannot be trained on: no rows, or a single label."""
    if not texts:
        raise DomainError("no_training_rows", "没有可训练的样本", "there is nothing to train on", field="csv")
    if len(set(labels)) < 2:
        raise DomainError(
            "single_label",
            f"只有一个标签（{labels[0]}），至少需要两个标签才能训练",
            f"there is a single label ({labels[0]}); training needs at least two",
            field="label",
        )


def train(
    texts: list[str],
    labels: list[str],
    *,
    share: float = HELDOUT_SHARE,
    seed: int = SEED,
    classifier: TextClassifier | None = None,
) -> Trained:
    """Fit on the training part, evaluate on the held-back part (None when nothing could be held back)."""
    rows_check(texts, labels)
    train_rows, held_rows = split(texts, labels, share=share, seed=seed)
    train_texts = [texts[i] for i in train_rows]
    train_labels = [labels[i] for i in train_rows]
    rows_check(train_texts, train_labels)
    started = time.perf_counter()
    model = (classifier or TextClassifier()).fit(train_texts, train_labels)
    train_s = time.perf_counter() - started
    held_texts = [texts[i] for i in held_rows]
    held_labels = [labels[i] for i in held_rows]
    evaluation = evaluate(model, held_texts, held_labels) if held_texts else None
    return Trained(model, len(train_texts), held_texts, held_labels, evaluation, train_s)


def _evaluate_version(version: ModelVersion | None, trained: Trained) -> Evaluation | None:
    """The stored `version` on `trained`'s held-back texts; None when there is none or its file is refused."""
    if version is None or not trained.heldout_texts:
        return None
    try:
        classifier = model_version_load(version)
    except DomainError:
        logger.exception("model #%s refused: the new model is compared with nothing", version.pk)
        return None
    return evaluate(classifier, trained.heldout_texts, trained.heldout_labels)


def _better(new: Evaluation | None, old: Evaluation | None) -> bool:
    if old is None:
        return True
    return new is not None and new.macro_f1 > old.macro_f1


def model_activate(*, version: ModelVersion, by=None) -> ModelVersion:
    """Make `version` the one active model of its target (an admin's choice, or a retrain's)."""
    with transaction.atomic():
        # Every version of the target, locked: a second activation waits here, then finds this one's result.
        list(ModelVersion.objects.select_for_update().filter(target=version.target).order_by("pk"))
        ModelVersion.objects.filter(target=version.target, active=True).exclude(pk=version.pk).update(
            active=False
        )
        version.refresh_from_db()
        if not version.active:
            version.active = True
            version.activated_at = clock.now()
            version.save(update_fields=["active", "activated_at"])
    logger.info("classifier model #%s (%s) activated by %s", version.pk, version.target, by)
    return version


def model_register(trained: Trained, *, target: str, source: str, by=None) -> Registered:
    """Store `trained` as a new version; activate it when it beats the active one on its held-back texts."""
    new = trained.evaluation
    metrics = new.as_metrics() if new else {}
    metrics["train_s"] = round(trained.train_s, 2)
    version = model_version_save(
        trained.classifier,
        target=target,
        train_count=trained.train_count,
        heldout_count=len(trained.heldout_texts),
        metrics=metrics,
        source=source,
        trained_by=by,
    )
    with transaction.atomic():
        list(ModelVersion.objects.select_for_update().filter(target=target).order_by("pk"))
        previous = ModelVersion.objects.filter(target=target, active=True).exclude(pk=version.pk).first()
        old = _evaluate_version(previous, trained)
        activated = _better(new, old) if previous is not None else True
        if previous is None:
            note = "此前没有启用的模型：已启用"
        elif old is None:
            note = f"启用模型 #{previous.pk} 无法评估：已启用新模型"
        else:
            metrics["active_before"] = {
                "id": previous.pk,
                "accuracy": round(old.accuracy, 4),
                "macro_f1": round(old.macro_f1, 4),
            }
            verdict = "已启用" if activated else "未启用"
            note = (
                f"留出集 macro-F1：新模型 {new.macro_f1 if new else 0:.4f}，"
                f"启用模型 #{previous.pk} {old.macro_f1:.4f}：{verdict}"
            )
        version.metrics = metrics
        version.note = note[:300]
        version.save(update_fields=["metrics", "note"])
        if activated:
            model_activate(version=version, by=by)
    return Registered(version, activated, previous, old)


def model_retrain(target: str, *, by=None) -> Registered:
    """Train `target` (category or department) on the handled cases in the database, and register it."""
    from .services import training_rows

    if target not in (Target.CATEGORY, Target.DEPARTMENT):
        raise DomainError(
            "bad_target",
            "只能按问题分类或处置部门训练",
            "train the category or the department",
            field="target",
        )
    texts, labels = training_rows(target)
    trained = train(texts, labels)
    return model_register(trained, target=target, source=f"cases:{len(texts)}", by=by)


# --- the nightly retrain (the worker's periodic task) ----------------------------------------------------


def nightly_retrain(now=None) -> dict[str, str]:
    """Retrain both targets once a day, at or after CIVICGRID_CLASSIFIER_RETRAIN_HOUR (local time).

    The day's NightlyRetrain row is the marker (a unique day): a second pass, or a second worker at the
    same moment, finds it and does nothing. A target with fewer than CIVICGRID_CLASSIFIER_MIN_SAMPLES handled
    cases, or a single label, is skipped. Returns what was done per target (empty when nothing ran)."""
    from .services import training_rows

    if settings.CIVICGRID_CLASSIFIER_RETRAIN != "nightly":
        return {}
    local = timezone.localtime(now or clock.now())
    if local.hour < settings.CIVICGRID_CLASSIFIER_RETRAIN_HOUR:
        return {}
    day = local.date()
    if NightlyRetrain.objects.filter(day=day).exists():
        return {}
    try:
        with transaction.atomic():
            run = NightlyRetrain.objects.create(day=day)
    except IntegrityError:  # another worker took the day
        return {}
    outcome: dict[str, str] = {}
    for target in (Target.CATEGORY, Target.DEPARTMENT):
        texts, labels = training_rows(target)
        if len(texts) < settings.CIVICGRID_CLASSIFIER_MIN_SAMPLES or len(set(labels)) < 2:
            outcome[target] = f"skipped: {len(texts)} handled cases, {len(set(labels))} labels"
            continue
        try:
            registered = model_register(
                train(texts, labels), target=target, source=f"cases:{len(texts)} (nightly)"
            )
        except Exception as exc:  # one target failing does not stop the other; the day stays marked
            logger.exception("nightly retrain of %s failed", target)
            outcome[target] = f"failed: {type(exc).__name__}: {exc}"[:200]
            continue
        state = "activated" if registered.activated else "kept the active model"
        outcome[target] = f"#{registered.version.pk} {state}"
    run.outcome = outcome
    run.save(update_fields=["outcome"])
    return outcome
