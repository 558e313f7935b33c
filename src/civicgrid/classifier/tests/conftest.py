"""Active category and department models trained on a few texts of the test city's categories."""

from __future__ import annotations

import pytest

from civicgrid.classifier.models import ModelVersion, Target
from civicgrid.classifier.pipeline import TextClassifier
from civicgrid.classifier.store import model_version_save

CATEGORY_TEXTS = {
    "matter:06010": [
        "小区门口有暴露垃圾",
        "垃圾堆在路边没人清理",
        "楼下垃圾好几天没人收",
        "路边一堆生活垃圾很臭",
    ],
    "matter:09006": ["早市摊贩占道经营", "小商贩在人行道摆摊", "路口有人摆摊卖水果", "夜市摊位占了半条路"],
    "component:01003": ["雨水井盖缺失", "井盖丢了很危险", "路上的井盖坏了下沉", "下水井盖破损有个大洞"],
}
# The departments the handled cases of such texts went to (the test city's codes).
DEPARTMENT_OF = {"matter:06010": "CGJ", "matter:09006": "CGJ", "component:01003": "ZJJ-SZ"}

_trained: dict[str, TextClassifier] = {}


def trained(target: str) -> TextClassifier:
    if target not in _trained:
        texts = [t for rows in CATEGORY_TEXTS.values() for t in rows]
        labels = [label for label, rows in CATEGORY_TEXTS.items() for _ in rows]
        if target == Target.DEPARTMENT:
            labels = [DEPARTMENT_OF[label] for label in labels]
        _trained[target] = TextClassifier().fit(texts, labels)
    return _trained[target]


def activate_models(tmp_path, settings) -> dict[str, ModelVersion]:
    settings.CIVICGRID_CLASSIFIER_DIR = tmp_path / "models"
    settings.CIVICGRID_SUGGEST_MIN_CONFIDENCE = 0.05
    settings.CIVICGRID_SUGGEST_PRESELECT_CONFIDENCE = 0.3
    out = {}
    for target in (Target.CATEGORY, Target.DEPARTMENT):
        version = model_version_save(
            trained(target), target=target, train_count=12, heldout_count=0, metrics={}, source="test"
        )
        ModelVersion.objects.filter(pk=version.pk).update(active=True)
        out[target] = version
    return out


@pytest.fixture
def models(tmp_path, settings, categories):
    """Active models (category and department), thresholds low enough for the tiny training set."""
    return activate_models(tmp_path, settings)
