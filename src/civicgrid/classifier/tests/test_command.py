"""`civicgrid classifier` on real CSV files: train --csv --out, evaluate --model, and every refusal."""

import csv
import json

import pytest
from django.core.management import CommandError, call_command

from civicgrid.classifier.models import ModelVersion, Target

ROWS = {
    "垃圾": [
        "小区门口有暴露垃圾",
        "垃圾堆在路边没人清理",
        "楼下垃圾好几天没人收",
        "路边一堆生活垃圾很臭",
        "垃圾桶满了溢出来",
        "绿化带里扔满了垃圾",
    ],
    "摆摊": [
        "早市摊贩占道经营",
        "小商贩在人行道摆摊",
        "路口有人摆摊卖水果",
        "夜市摊位占了半条路",
        "流动摊贩堵住路口",
        "商贩占道卖菜",
    ],
    "井盖": [
        "雨水井盖缺失",
        "井盖丢了很危险",
        "路上的井盖坏了下沉",
        "下水井盖破损有个大洞",
        "井盖松动车过响",
        "污水井盖被压碎了",
    ],
}


def write_csv(path, rows, header=("text", "label"), encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(rows)
    return path


def labelled():
    return [(text, label) for label, texts in ROWS.items() for text in texts]


@pytest.fixture
def model_dir(tmp_path, settings):
    settings.CIVICGRID_CLASSIFIER_DIR = tmp_path / "models"
    return settings.CIVICGRID_CLASSIFIER_DIR


def run(*args) -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command("classifier", *[str(a) for a in args], stdout=out)
    return out.getvalue().splitlines()


def refused(*args) -> str:
    with pytest.raises(CommandError) as error:
        run(*args)
    assert error.value.returncode == 2
    return str(error.value)


@pytest.mark.django_db
def test_train_a_csv_into_a_file_then_evaluate_it(tmp_path, model_dir):
    train = write_csv(tmp_path / "train.csv", labelled())
    lines = run("train", "--csv", train, "--out", tmp_path / "m.model")
    assert (tmp_path / "m.model").exists()
    assert not ModelVersion.objects.exists()  # no row without --register
    held = json.loads(lines[-1])
    assert held["bench"] == "classifier" and held["n"] == 3 and held["labels"] == 3
    test = write_csv(
        tmp_path / "test.csv",
        [
            ("门口垃圾没人清理", "垃圾"),
            ("有人在路边摆摊卖菜", "摆摊"),
            ("井盖没了", "井盖"),
            ("路灯不亮", "路灯"),
        ],
    )
    lines = run("evaluate", "--model", tmp_path / "m.model", "--csv", test)
    result = json.loads(lines[-1])
    assert set(result) == {"bench", "n", "labels", "accuracy", "macro_f1", "texts_per_s"}
    assert result["n"] == 4 and result["labels"] == 3
    # The unknown label 路灯 is an error, and listed as such.
    assert result["accuracy"] == 0.75
    assert result["texts_per_s"] > 0
    text = "\n".join(lines)
    assert "路灯 (1)" in text and "precision" in text and "路灯 → " in text


@pytest.mark.django_db
def test_register_stores_an_active_version_of_the_target(tmp_path, model_dir):
    train = write_csv(
        tmp_path / "train.csv", [(t, label) for t, label in labelled()], header=("内容", "类别")
    )
    run("train", "--csv", train, "--text-column", "内容", "--label-column", "类别", "--register")
    version = ModelVersion.objects.get()
    assert version.target == Target.OTHER and version.active
    assert version.labels == sorted(ROWS) and version.train_count == 15 and version.heldout_count == 3
    assert set(version.metrics["per_label"]) == set(ROWS)
    lines = run("evaluate", "--model", f"#{version.pk}", "--csv", write_csv(tmp_path / "t.csv", labelled()))
    assert json.loads(lines[-1])["n"] == 18
    assert json.loads(run("evaluate", "--model", "active:other", "--csv", tmp_path / "t.csv")[-1])["n"] == 18
    listed = "\n".join(run("list"))
    assert f"* #{version.pk}" in listed


@pytest.mark.django_db
def test_a_model_file_changed_on_disk_is_refused(tmp_path, model_dir):
    train = write_csv(tmp_path / "train.csv", labelled())
    run("train", "--csv", train, "--out", tmp_path / "m.model", "--register")
    data = bytearray((tmp_path / "m.model").read_bytes())
    data[-7] ^= 0xFF
    (tmp_path / "m.model").write_bytes(bytes(data))
    assert "签名不符" in refused("evaluate", "--model", tmp_path / "m.model", "--csv", train)
    # A stored version whose file changed: the recorded hash refuses it.
    version = ModelVersion.objects.get()
    (model_dir / version.file).write_bytes(bytes(data))
    assert "哈希不符" in refused("evaluate", "--model", f"#{version.pk}", "--csv", train)
    assert "哈希不符" in refused("activate", version.pk)


@pytest.mark.django_db
def test_bad_input_is_refused_and_nothing_is_written(tmp_path, model_dir):
    out = tmp_path / "m.model"
    good = write_csv(tmp_path / "good.csv", labelled())
    message = refused("train", "--csv", good, "--text-column", "正文", "--out", out)
    assert "正文" in message and "text、label" in message and "columns: text, label" in message
    (tmp_path / "empty.csv").write_bytes(b"")
    assert "空" in refused("train", "--csv", tmp_path / "empty.csv", "--out", out)
    header_only = write_csv(tmp_path / "header.csv", [])
    assert "只有表头" in refused("train", "--csv", header_only, "--out", out)
    single = write_csv(tmp_path / "single.csv", [(t, "垃圾") for t in ROWS["垃圾"]])
    assert "只有一个标签" in refused("train", "--csv", single, "--out", out)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,label\ncafé crème,a\nna\u00efve,b\n".encode("latin-1"))
    assert "UTF-8" in refused("train", "--csv", latin, "--out", out)
    assert "文件不存在" in refused("train", "--csv", tmp_path / "missing.csv", "--out", out)
    assert "--out" in refused("train", "--csv", good)
    assert "文件不存在" in refused("evaluate", "--model", out, "--csv", tmp_path / "missing.csv")
    assert "模型文件不存在" in refused("evaluate", "--model", out, "--csv", good)
    assert "没有这个模型版本" in refused("evaluate", "--model", "#999", "--csv", good)
    assert "没有这个模型版本" in refused("activate", "999")
    assert not out.exists()
    assert not ModelVersion.objects.exists()
    assert not model_dir.exists() or not any(model_dir.iterdir())


@pytest.mark.django_db
def test_wrong_combinations_are_refused(tmp_path, model_dir):
    good = write_csv(tmp_path / "good.csv", labelled())
    assert "13900009999" in refused("train", "--csv", good, "--register", "--by", "13900009999")
    assert "--csv" in refused("train", "--out", tmp_path / "m.model")
    assert "一个目标" in refused("train", "--csv", good, "--register", "--target", "both")
    assert not ModelVersion.objects.exists() and not (tmp_path / "m.model").exists()
