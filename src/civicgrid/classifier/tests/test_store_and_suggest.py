import pytest

from civicgrid.classifier.models import ModelVersion, Target
from civicgrid.classifier.pipeline import TextClassifier, pieces
from civicgrid.classifier.services import suggest_categories, suggest_labels
from civicgrid.classifier.store import (
    MAGIC,
    model_file_read,
    model_file_write,
    model_version_load,
    model_version_save,
)
from civicgrid.core.errors import DomainError
from civicgrid.testing import load_test_categories

TRAIN = {
    "matter:06010": [
        "小区门口有暴露垃圾",
        "垃圾堆在路边没人清理",
        "楼下垃圾好几天没人收",
        "路边一堆生活垃圾很臭",
    ],
    "matter:09006": ["早市摊贩占道经营", "小商贩在人行道摆摊", "路口有人摆摊卖水果", "夜市摊位占了半条路"],
    "component:01003": ["雨水井盖缺失", "井盖丢了很危险", "路上的井盖坏了下沉", "下水井盖破损有个大洞"],
}


def _trained() -> TextClassifier:
    texts = [t for rows in TRAIN.values() for t in rows]
    labels = [label for label, rows in TRAIN.items() for _ in rows]
    return TextClassifier().fit(texts, labels)


@pytest.fixture(scope="module")
def trained():
    return _trained()


def test_a_classifier_learns_the_labels(trained):
    assert trained.labels == sorted(TRAIN)
    assert trained.predict(["门口垃圾没人清理", "有人在路边摆摊卖菜", "井盖没了"]) == [
        "matter:06010",
        "matter:09006",
        "component:01003",
    ]
    row = trained.predict_proba(["井盖没了"])[0]
    assert abs(row.sum() - 1) < 1e-6


def test_a_long_letter_is_read_piece_by_piece(trained):
    letter = (
        "尊敬的领导您好！"
        + "我家住在康巴什区某小区，" * 3
        + "路上的井盖丢了好几天了，晚上很危险。希望尽快处理，谢谢！"
    )
    assert len(pieces(letter, 8)) > 2
    assert trained.predict([letter]) == ["component:01003"]


def test_a_file_round_trips_and_a_changed_one_is_refused(tmp_path, trained):
    path = tmp_path / "m.model"
    sha = model_file_write(trained, path)
    assert model_file_read(path, sha256=sha).labels == trained.labels
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DomainError) as refused:
        model_file_read(path)
    assert refused.value.code == "model_file_refused"
    # A pickle the platform did not write (no signature) is never unpickled.
    foreign = tmp_path / "foreign.model"
    foreign.write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(DomainError):
        model_file_read(foreign)
    forged = tmp_path / "forged.model"
    forged.write_bytes(MAGIC + b"\0" * 32 + b"\x80\x04K\x01.")
    with pytest.raises(DomainError):
        model_file_read(forged)


@pytest.mark.django_db
def test_a_version_file_changed_on_disk_is_refused(tmp_path, settings, trained):
    settings.CIVICGRID_CLASSIFIER_DIR = tmp_path
    version = model_version_save(
        trained, target=Target.CATEGORY, train_count=12, heldout_count=0, metrics={}, source="test"
    )
    assert (tmp_path / version.file).exists()
    other = model_version_save(
        _trained(), target=Target.CATEGORY, train_count=12, heldout_count=0, metrics={}, source="test"
    )
    # Swapped for another file this platform signed: the recorded hash still refuses it.
    (tmp_path / version.file).write_bytes((tmp_path / other.file).read_bytes())
    with pytest.raises(DomainError):
        model_version_load(ModelVersion.objects.get(pk=version.pk))


@pytest.mark.django_db
def test_suggestions_come_from_the_active_model_above_the_threshold(tmp_path, settings, trained):
    settings.CIVICGRID_CLASSIFIER_DIR = tmp_path
    load_test_categories()
    assert suggest_categories("门口垃圾没人清理") == []  # no active model yet
    version = model_version_save(
        trained, target=Target.CATEGORY, train_count=12, heldout_count=0, metrics={}, source="test"
    )
    ModelVersion.objects.filter(pk=version.pk).update(active=True)
    settings.CIVICGRID_SUGGEST_MIN_CONFIDENCE = 0.0
    ranked = suggest_categories("门口垃圾没人清理")
    assert [s.category.code for s in ranked][0] == "06010"
    assert len(ranked) == 3 and ranked[0].confidence >= ranked[1].confidence
    settings.CIVICGRID_SUGGEST_MIN_CONFIDENCE = 0.99
    assert suggest_labels("门口垃圾没人清理", target=Target.CATEGORY) == []
