"""Model files (模型文件): written signed, read only when the signature and the recorded hash both hold.

A trained `TextClassifier` is a pickle, and unpickling runs code: a file the platform did not write must
never be loaded. So a file is `MAGIC`, then an HMAC-SHA256 of the pickle under a key derived from the
SECRET_KEY, then the pickle. `model_file_read` checks the HMAC before it unpickles anything; a version row
also records the file's SHA-256, checked first (a file swapped for another signed one is refused too).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from civicgrid.core.errors import DomainError

from .models import ModelVersion
from .pipeline import TextClassifier

MAGIC = b"civicgrid-classifier/1\n"
_SIGNATURE_BYTES = 32


def _key() -> bytes:
    return hashlib.sha256(b"civicgrid.classifier.store:" + settings.SECRET_KEY.encode()).digest()


def _refused(path: Path | str, why_zh: str, why_en: str) -> DomainError:
    return DomainError(
        "model_file_refused",
        f"模型文件 {path} 不能加载：{why_zh}",
        f"the model file {path} is refused: {why_en}",
        field="model",
    )


def model_file_write(classifier: TextClassifier, path: Path) -> str:
    """Write `classifier` to `path` (signed); returns the file's SHA-256."""
    payload = pickle.dumps(classifier, protocol=pickle.HIGHEST_PROTOCOL)
    data = MAGIC + hmac.new(_key(), payload, hashlib.sha256).digest() + payload
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(data)
    temporary.replace(path)
    return hashlib.sha256(data).hexdigest()


def model_file_read(path: Path, *, sha256: str | None = None) -> TextClassifier:
    """The classifier in `path`, or DomainError("model_file_refused") when it is not one this platform wrote."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _refused(path, "文件无法读取", f"cannot read it ({exc.strerror})") from exc
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise _refused(path, "文件已被改动（哈希不符）", "it changed on disk (hash mismatch)")
    if not data.startswith(MAGIC) or len(data) <= len(MAGIC) + _SIGNATURE_BYTES:
        raise _refused(path, "不是本平台训练的模型文件", "it is not a model file written by this platform")
    signature = data[len(MAGIC) : len(MAGIC) + _SIGNATURE_BYTES]
    payload = data[len(MAGIC) + _SIGNATURE_BYTES :]
    if not hmac.compare_digest(signature, hmac.new(_key(), payload, hashlib.sha256).digest()):
        raise _refused(
            path, "签名不符（文件被改动，或由其他实例写入）", "bad signature (changed, or written elsewhere)"
        )
    classifier = pickle.loads(payload)  # noqa: S301 - signed by this platform, checked above
    if not isinstance(classifier, TextClassifier):
        raise _refused(path, "内容不是分类模型", "it does not hold a classifier")
    return classifier


def model_dir() -> Path:
    return Path(settings.CIVICGRID_CLASSIFIER_DIR)


def model_version_path(version: ModelVersion) -> Path:
    return model_dir() / version.file


def model_version_save(
    classifier: TextClassifier,
    *,
    target: str,
    train_count: int,
    heldout_count: int,
    metrics: dict,
    source: str,
    trained_by=None,
    note: str = "",
) -> ModelVersion:
    """Store a trained classifier as a new (inactive) version."""
    name = f"{target}-{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.model"
    sha256 = model_file_write(classifier, model_dir() / name)
    return ModelVersion.objects.create(
        target=target,
        labels=list(classifier.labels),
        train_count=train_count,
        heldout_count=heldout_count,
        metrics=metrics,
        source=source[:200],
        file=name,
        sha256=sha256,
        trained_by=trained_by,
        note=note[:300],
    )


# Loaded classifiers by (version id, hash): a process loads each version once.
_loaded: dict[tuple[int, str], TextClassifier] = {}
_lock = threading.Lock()


def model_version_load(version: ModelVersion) -> TextClassifier:
    key = (version.pk, version.sha256)
    with _lock:
        if key in _loaded:
            return _loaded[key]
    classifier = model_file_read(model_version_path(version), sha256=version.sha256)
    with _lock:
        if len(_loaded) > 8:
            _loaded.clear()
        _loaded[key] = classifier
    return classifier


def active_version(target: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(target=target, active=True).first()


def active_classifier(target: str) -> TextClassifier | None:
    """The active model of `target`, or None when there is none (or its file is refused: logged, not raised)."""
    version = active_version(target)
    if version is None:
        return None
    try:
        return model_version_load(version)
    except DomainError:
        logging.getLogger("civicgrid.classifier").exception("active %s model #%s refused", target, version.pk)
        return None
