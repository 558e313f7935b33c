"""civicgrid classifier train | evaluate | list | activate: the text classifiers (智能分类) from the shell."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.classifier.evaluation import Evaluation, evaluate
from civicgrid.classifier.models import ModelVersion, Target
from civicgrid.classifier.pipeline import TextClassifier
from civicgrid.classifier.store import active_version, model_file_read, model_file_write, model_version_load
from civicgrid.classifier.training import Trained, model_activate, model_register, model_retrain, train
from civicgrid.core.errors import DomainError
from civicgrid.core.text import csv_decode

# Letters of several thousand characters fit in a CSV field.
csv.field_size_limit(1 << 24)


def refused(zh: str, en: str) -> CommandError:
    return CommandError(f"{zh} / {en}", returncode=2)


def from_domain(error: DomainError) -> CommandError:
    return refused(error.message_zh, error.message_en)


def read_csv(path: Path, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    """(texts, labels) of a UTF-8 CSV with a header row; rows with an empty text or label are left out."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise refused(f"文件不存在：{path}", f"no such file: {path}") from None
    except OSError as exc:
        raise refused(f"文件无法读取：{path}", f"cannot read {path}: {exc.strerror}") from None
    try:
        text = csv_decode(data, field="csv")
    except DomainError:
        raise refused(
            f"文件不是 UTF-8 编码：{path}（请另存为 CSV UTF-8）",
            f"the file is not UTF-8: {path} (save it as CSV UTF-8)",
        ) from None
    reader = csv.DictReader(text.splitlines(keepends=True))
    columns = reader.fieldnames or []
    if not columns:
        raise refused(f"文件是空的：{path}", f"the file is empty: {path}")
    for column in (text_column, label_column):
        if column not in columns:
            listed = "、".join(columns)
            raise refused(
                f"没有名为“{column}”的列；文件中的列：{listed}",
                f"there is no column {column!r}; the file's columns: {', '.join(columns)}",
            )
    texts: list[str] = []
    labels: list[str] = []
    for row in reader:
        value, label = (row.get(text_column) or "").strip(), (row.get(label_column) or "").strip()
        if value and label:
            texts.append(value)
            labels.append(label)
    if not texts:
        raise refused(f"文件只有表头，没有数据行：{path}", f"the file has a header row and no data: {path}")
    return texts, labels


class Command(BaseCommand):
    help = "Train, evaluate, list and activate the text classifiers (智能分类)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True, metavar="train|evaluate|list|activate")

        t = commands.add_parser(
            "train",
            help="train on the handled cases in the database, or on a CSV (--csv) into a model file (--out)",
        )
        t.add_argument(
            "--target",
            choices=["category", "department", "both", "other"],
            default=None,
            help="database: category, department or both (default both); with --csv and --register: "
            "the target the version is registered under (default other)",
        )
        t.add_argument("--by", metavar="PHONE", help="the staff member who trains (recorded on the version)")
        t.add_argument(
            "--csv", type=Path, help="train on this UTF-8 CSV (header row) instead of the database"
        )
        t.add_argument("--text-column", default="text")
        t.add_argument("--label-column", default="label")
        t.add_argument("--out", type=Path, help="with --csv: write the trained model (signed) to this file")
        t.add_argument(
            "--register",
            action="store_true",
            help="with --csv: store the model as a version (active when it beats the active one)",
        )

        e = commands.add_parser("evaluate", help="a model on a labelled CSV: per-label table and a JSON line")
        e.add_argument("--model", required=True, help="a model file, #ID of a version, or active:TARGET")
        e.add_argument("--csv", type=Path, required=True)
        e.add_argument("--text-column", default="text")
        e.add_argument("--label-column", default="label")

        commands.add_parser("list", help="the stored versions with their figures, and which are active")

        a = commands.add_parser("activate", help="make a stored version the active model of its target")
        a.add_argument("id", type=int)
        a.add_argument("--by", metavar="PHONE")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as error:
            raise from_domain(error) from None

    # --- output -------------------------------------------------------------------------------------------
    def _report(self, evaluation: Evaluation | None, **extra) -> None:
        if evaluation is None:
            self.stdout.write("nothing held back to evaluate on (too few texts per label)")
            return
        for line in evaluation.table():
            self.stdout.write(line)
        self.stdout.write(
            json.dumps({"bench": "classifier", **evaluation.summary(), **extra}, ensure_ascii=False)
        )

    def _person(self, phone: str | None):
        if not phone:
            return None
        from civicgrid.accounts.models import User

        user = User.objects.filter(phone=phone).first()
        if user is None:
            raise refused(f"没有手机号为 {phone} 的用户", f"no user with the phone {phone}")
        return user

    # --- train --------------------------------------------------------------------------------------------
    def _train(self, *, target, by, csv, text_column, label_column, out, register, **options) -> None:
        person = self._person(by)
        if csv is None:
            if out or register:
                raise refused("--out 与 --register 只用于 --csv", "--out and --register go with --csv")
            if target == "other":
                raise refused(
                    "数据库训练只支持 category、department 或 both", "train category, department or both"
                )
            targets = [Target.CATEGORY, Target.DEPARTMENT] if target in (None, "both") else [target]
            for each in targets:
                registered = model_retrain(each, by=person)
                self._registered(each, registered)
            return
        if not out and not register:
            raise refused(
                "请用 --out 指定模型文件，或用 --register 登记为版本", "give --out MODEL or --register"
            )
        if target == "both":
            raise refused("--csv 只能登记到一个目标", "with --csv, --target is one target")
        texts, labels = read_csv(csv, text_column, label_column)
        trained: Trained = train(texts, labels)
        self.stdout.write(
            f"trained on {trained.train_count} texts, {len(trained.classifier.labels)} labels "
            f"in {trained.train_s:.1f} s; held back {len(trained.heldout_texts)}"
        )
        if out:
            sha256 = model_file_write(trained.classifier, out)
            self.stdout.write(f"model written to {out} (sha256 {sha256})")
        if register:
            registered = model_register(trained, target=target or Target.OTHER, source=str(csv), by=person)
            self.stdout.write(
                f"version #{registered.version.pk} ({registered.version.target}): "
                f"{'activated' if registered.activated else 'not activated'} — {registered.version.note}"
            )
        self._report(trained.evaluation, train_s=round(trained.train_s, 2))

    def _registered(self, target: str, registered) -> None:
        version = registered.version
        self.stdout.write(
            f"{target}: version #{version.pk}, {version.train_count} texts, {len(version.labels)} labels, "
            f"{'activated' if registered.activated else 'not activated'} — {version.note}"
        )
        evaluation = version.metrics
        if "per_label" not in evaluation:
            self.stdout.write("nothing held back to evaluate on (too few texts per label)")
            return
        restored = Evaluation(
            n=evaluation["n"],
            labels=evaluation["labels"],
            accuracy=evaluation["accuracy"],
            macro_f1=evaluation["macro_f1"],
            texts_per_s=evaluation["texts_per_s"],
            per_label=evaluation["per_label"],
            confusions=[tuple(c) for c in evaluation["confusions"]],
            unknown=evaluation.get("unknown", {}),
        )
        self._report(restored, target=target, train_s=evaluation.get("train_s"))

    # --- evaluate -----------------------------------------------------------------------------------------
    def _load(self, spec: str) -> TextClassifier:
        if spec.startswith("#") or spec.startswith("active:"):
            if spec.startswith("#"):
                version = (
                    ModelVersion.objects.filter(pk=int(spec[1:])).first() if spec[1:].isdigit() else None
                )
            else:
                version = active_version(spec.split(":", 1)[1])
            if version is None:
                raise refused(f"没有这个模型版本：{spec}", f"no such model version: {spec}")
            return model_version_load(version)
        path = Path(spec)
        if not path.exists():
            raise refused(f"模型文件不存在：{spec}", f"no such model file: {spec}")
        return model_file_read(path)

    def _evaluate(self, *, model, csv, text_column, label_column, **options) -> None:
        texts, labels = read_csv(csv, text_column, label_column)
        classifier = self._load(model)
        self._report(evaluate(classifier, texts, labels))

    # --- list, activate -----------------------------------------------------------------------------------
    def _list(self, **options) -> None:
        versions = ModelVersion.objects.select_related("trained_by").order_by("target", "-trained_at", "-id")
        if not versions:
            self.stdout.write("no model versions yet")
        for v in versions:
            m = v.metrics or {}
            self.stdout.write(
                f"{'*' if v.active else ' '} #{v.pk:<4} {v.target:<10} labels {len(v.labels):>4}  "
                f"train {v.train_count:>6}  held {v.heldout_count:>5}  "
                f"acc {m.get('accuracy', float('nan')):.4f}  macro-F1 {m.get('macro_f1', float('nan')):.4f}  "
                f"{v.trained_at:%Y-%m-%d %H:%M}  {v.trained_by.phone if v.trained_by else '-'}  {v.note}"
            )

    def _activate(self, *, id: int, by, **options) -> None:
        version = ModelVersion.objects.filter(pk=id).first()
        if version is None:
            raise refused(f"没有这个模型版本：#{id}", f"no such model version: #{id}")
        model_version_load(version)  # a refused file is never made active
        model_activate(version=version, by=self._person(by))
        self.stdout.write(f"version #{version.pk} is now the active {version.target} model")
