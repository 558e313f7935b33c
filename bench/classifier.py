"""Benchmark: the text classifier trained and evaluated on the demo city's history, or on CSV files.

    .venv/bin/python bench/classifier.py [--cases 3000] [--target category|department|both] [--reuse]
                                         [--csv-test FILE]
    .venv/bin/python bench/classifier.py --csv-train FILE --csv-test FILE [--text-column text]
                                         [--label-column label]

Default: a throw-away SQLite database (`var/bench/classifier-<N>.sqlite3`; with `--reuse` one that
already exists is used as it is), `civicgrid migrate`, then `civicgrid demo --cases N` (the demo city and
N historical cases replayed through the case loop). Each target is trained on the handled cases with a
stratified held-back part (20 %, fixed seed: `classifier.training.train`, what `civicgrid classifier train`
does) and evaluated on it; with `--csv-test` the model is also evaluated on that file (its labels must be
the target's: `matter:06010`, department codes).

With `--csv-train` and `--csv-test`: trained on the whole first file, evaluated on the second; no database.
`--baseline` adds the plain character 1–3-gram TF-IDF + linear SVM trained on the same file, for comparison;
`--words`, `--no-pieces`, `--no-letters` change the pipeline's defaults (classifier/pipeline.py), to measure each.

For each evaluation: the per-label table and the confusions that matter most on stderr, then one JSON
object per line on stdout; the last line is
`{"bench": "classifier", "db": …, "target": …, "n": …, "labels": …, "accuracy": …, "macro_f1": …,
"texts_per_s": …, "train_s": …}` (texts_per_s: the evaluation texts as one batch on one thread).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django(db_path: Path | None) -> None:
    src = ROOT / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    os.environ["DJANGO_SETTINGS_MODULE"] = "civicgrid.settings"
    os.environ.setdefault("DEBUG", "1")  # the demo keys: a development machine
    os.environ["DATABASE_URL"] = ""  # always the throw-away SQLite file, never a configured server
    os.environ["CIVICGRID_CLASSIFIER_DIR"] = str(WORK / "classifier-models")
    if db_path is not None:
        os.environ["SQLITE_PATH"] = str(db_path)
    import django

    django.setup()


def report(evaluation, **extra) -> dict:
    for line in evaluation.table():
        log(line)
    result = {"bench": "classifier", **extra, **evaluation.summary()}
    result["train_s"] = extra.get("train_s")
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def csv_rows(path: Path, text_column: str, label_column: str):
    from civicgrid.classifier.management.commands.classifier import read_csv

    return read_csv(path, text_column, label_column)


class Baseline:
    """The common baseline, for comparison: character 1–3-gram TF-IDF and a linear SVM, nothing else."""

    def __init__(self, texts, labels):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline
        from sklearn.svm import LinearSVC

        self.model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC()).fit(
            texts, labels
        )
        self.labels = sorted(set(labels))

    def predict(self, texts):
        return list(self.model.predict(texts))


def run_csv(args) -> int:
    setup_django(None)
    from civicgrid.classifier.evaluation import evaluate
    from civicgrid.classifier.pipeline import Settings, TextClassifier
    from civicgrid.classifier.training import rows_check

    texts, labels = csv_rows(args.csv_train, args.text_column, args.label_column)
    rows_check(texts, labels)
    test_texts, test_labels = csv_rows(args.csv_test, args.text_column, args.label_column)
    if args.baseline:
        started = time.perf_counter()
        baseline = Baseline(texts, labels)
        train_s = round(time.perf_counter() - started, 2)
        report(
            evaluate(baseline, test_texts, test_labels),
            db=None,
            target="csv",
            model="baseline",
            train_s=train_s,
        )
    started = time.perf_counter()
    settings = Settings(
        use_words=args.words, use_pieces=not args.no_pieces, augment_long=0.0 if args.no_letters else 0.3
    )
    classifier = TextClassifier(settings).fit(texts, labels)
    train_s = time.perf_counter() - started
    log(f"trained on {len(texts)} texts, {len(classifier.labels)} labels in {train_s:.1f} s")
    report(evaluate(classifier, test_texts, test_labels), db=None, target="csv", train_s=round(train_s, 2))
    return 0


def run_demo(args) -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    db_path = WORK / f"classifier-{args.cases}.sqlite3"
    reuse = args.reuse and db_path.exists()
    if not reuse and db_path.exists():
        db_path.unlink()
    setup_django(db_path)
    from django.core.management import call_command

    from civicgrid.classifier.evaluation import evaluate
    from civicgrid.classifier.services import training_rows
    from civicgrid.classifier.training import train

    if not reuse:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("demo", cases=args.cases, stdout=open(os.devnull, "w"))  # noqa: SIM115
        log(f"demo city with {args.cases} cases in {time.perf_counter() - started:.0f} s ({db_path})")
    targets = ["category", "department"] if args.target == "both" else [args.target]
    for target in targets:
        texts, labels = training_rows(target)
        log(f"{target}: {len(texts)} handled cases, {len(set(labels))} labels")
        trained = train(texts, labels)
        log(f"{target}: trained on {trained.train_count} texts in {trained.train_s:.1f} s")
        extra = {"db": "sqlite", "target": target, "train_s": round(trained.train_s, 2)}
        if trained.evaluation is not None:
            report(trained.evaluation, **extra)
        if args.csv_test:
            test_texts, test_labels = csv_rows(args.csv_test, args.text_column, args.label_column)
            report(evaluate(trained.classifier, test_texts, test_labels), **extra, test=str(args.csv_test))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000, help="demo cases to replay (default 3000)")
    parser.add_argument("--target", choices=["category", "department", "both"], default="both")
    parser.add_argument("--reuse", action="store_true", help="use the demo database of a previous run")
    parser.add_argument("--csv-train", type=Path)
    parser.add_argument("--csv-test", type=Path)
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--words", action="store_true", help="with --csv-train: add jieba word n-grams")
    parser.add_argument(
        "--no-pieces", action="store_true", help="with --csv-train: no piece voting for long texts"
    )
    parser.add_argument(
        "--no-letters", action="store_true", help="with --csv-train: no made-up letters in training"
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="with --csv-train: also the character 1-3-gram TF-IDF + linear SVM baseline (its line comes first)",
    )
    args = parser.parse_args()
    if args.csv_train and not args.csv_test:
        parser.error("--csv-train needs --csv-test")
    return run_csv(args) if args.csv_train else run_demo(args)


if __name__ == "__main__":
    sys.exit(main())
