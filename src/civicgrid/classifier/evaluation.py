"""How good a classifier is on texts whose labels are known (评估): accuracy, macro-F1, per-label precision,
recall, F1 and support (scikit-learn's metrics), the confusions that matter most, and the throughput.

A label of the texts the model does not know counts as an error (it can never be predicted) and is listed
in `unknown`. The throughput is one batch of all the texts, wall clock, on one thread (threadpoolctl), so a
figure does not depend on how many cores the machine lends the BLAS.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from .pipeline import TextClassifier

TOP_CONFUSIONS = 10


@dataclass
class Evaluation:
    n: int
    labels: int  # labels of the model
    accuracy: float
    macro_f1: float
    texts_per_s: float
    # label → {"precision", "recall", "f1", "support"}
    per_label: dict[str, dict] = field(default_factory=dict)
    # (true label, predicted label, count), the largest counts first
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    # label of the texts the model does not know → count
    unknown: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict:
        """The figures one JSON line reports."""
        return {
            "n": self.n,
            "labels": self.labels,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "texts_per_s": round(self.texts_per_s, 1),
        }

    def as_metrics(self) -> dict:
        """What a model version records (ModelVersion.metrics)."""
        return {
            **self.summary(),
            "per_label": self.per_label,
            "confusions": [list(c) for c in self.confusions],
            "unknown": self.unknown,
        }

    def table(self) -> list[str]:
        """The per-label table, the confusions that matter most and the unknown labels, as lines of text."""
        width = max([len("label"), *(len(label) for label in self.per_label)])
        lines = [f"{'label':<{width}}  precision  recall     f1  support"]
        for label, row in sorted(self.per_label.items(), key=lambda item: (-item[1]["support"], item[0])):
            lines.append(
                f"{label:<{width}}  {row['precision']:>9.3f}  {row['recall']:>6.3f}  {row['f1']:>5.3f}"
                f"  {row['support']:>7}"
            )
        lines.append(f"accuracy {self.accuracy:.4f}  macro-F1 {self.macro_f1:.4f}  n {self.n}")
        if self.confusions:
            lines.append("confusions (true → predicted: n):")
            lines.extend(f"  {a} → {b}: {n}" for a, b, n in self.confusions)
        if self.unknown:
            listed = ", ".join(f"{label} ({n})" for label, n in sorted(self.unknown.items()))
            lines.append(f"labels unknown to the model (counted as errors): {listed}")
        return lines


def evaluate(classifier: TextClassifier, texts: list[str], labels: list[str]) -> Evaluation:
    """`classifier` on `texts` against their true `labels`."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
    from threadpoolctl import threadpool_limits

    if not texts:
        raise ValueError("nothing to evaluate")
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        predicted = classifier.predict(texts)
        elapsed = time.perf_counter() - started
    known = set(classifier.labels)
    # Every label either side: a label the model never predicts scores 0 for it, which is what it is.
    every = sorted(set(labels) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=every, zero_division=0
    )
    per_label = {
        label: {
            "precision": round(float(precision[i]), 4),
            "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4),
            "support": int(support[i]),
        }
        for i, label in enumerate(every)
        if support[i] or label in known
    }
    confusions = Counter((t, p) for t, p in zip(labels, predicted, strict=True) if t != p)
    return Evaluation(
        n=len(texts),
        labels=len(classifier.labels),
        accuracy=float(accuracy_score(labels, predicted)),
        macro_f1=float(f1_score(labels, predicted, average="macro", zero_division=0)),
        texts_per_s=len(texts) / elapsed if elapsed > 0 else float("inf"),
        per_label=per_label,
        confusions=[(a, b, n) for (a, b), n in confusions.most_common(TOP_CONFUSIONS)],
        unknown=dict(Counter(label for label in labels if label not in known)),
    )
