"""Retraining on the handled cases: a new version is active only when it beats the active one; the admin's
actions; the nightly task runs once a day; two activations at once leave one active."""

import threading
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db import connection, connections

from civicgrid.cases.tests.helpers import NORTH_1, local, run_to, submit
from civicgrid.classifier.models import ModelVersion, NightlyRetrain, Target
from civicgrid.classifier.pipeline import TextClassifier
from civicgrid.classifier.store import model_version_save
from civicgrid.classifier.training import model_activate, nightly_retrain
from civicgrid.core import periodic

TEXTS = {
    "06010": [
        "小区门口有暴露垃圾",
        "垃圾堆在路边没人清理",
        "楼下垃圾好几天没人收",
        "路边一堆生活垃圾很臭",
        "垃圾桶满了溢出来",
        "绿化带里扔满了垃圾",
    ],
    "09006": [
        "早市摊贩占道经营",
        "小商贩在人行道摆摊",
        "路口有人摆摊卖水果",
        "夜市摊位占了半条路",
        "流动摊贩堵住路口",
        "商贩占道卖菜",
    ],
    "01003": [
        "雨水井盖缺失",
        "井盖丢了很危险",
        "路上的井盖坏了下沉",
        "下水井盖破损有个大洞",
        "井盖松动车过响",
        "污水井盖被压碎了",
    ],
}
DEPARTMENT = {"06010": "YLZX", "09006": "YLZX", "01003": "ZJJ_SZ"}


@pytest.fixture
def handled(world, categories, settings, tmp_path):
    """18 cases of three categories, each closed by the department that handled it."""
    settings.CIVICGRID_CLASSIFIER_DIR = tmp_path / "models"
    for code, texts in TEXTS.items():
        for text in texts:
            case = submit(world.citizen, NORTH_1, category=categories[code], description=text)
            run_to(case, "closed", world, department=world.departments[DEPARTMENT[code]])
    return world


def a_poor_model(target: str) -> ModelVersion:
    """An active model that learnt the wrong labels."""
    texts = [t for rows in TEXTS.values() for t in rows]
    wrong = ["matter:06010"] * 9 + ["matter:09006"] * 9
    classifier = TextClassifier().fit(texts, wrong)
    version = model_version_save(
        classifier, target=target, train_count=18, heldout_count=0, metrics={}, source="poor"
    )
    return model_activate(version=version)


def train(*args) -> str:
    out = StringIO()
    call_command("classifier", "train", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_retrain_activates_only_a_better_model(handled):
    poor = a_poor_model(Target.CATEGORY)
    output = train("--target", "category", "--by", handled.admin.phone)
    new = ModelVersion.objects.exclude(pk=poor.pk).get()
    poor.refresh_from_db()
    assert new.active and not poor.active
    assert new.trained_by == handled.admin and new.train_count == 15 and new.heldout_count == 3
    assert new.metrics["active_before"]["id"] == poor.pk
    assert new.metrics["macro_f1"] > new.metrics["active_before"]["macro_f1"]
    assert "已启用" in new.note and '"bench": "classifier"' in output.splitlines()[-1]
    # The same data again: a model no better than the active one is stored, not activated.
    train("--target", "category")
    again = ModelVersion.objects.latest("id")
    new.refresh_from_db()
    assert new.active and not again.active and "未启用" in again.note
    assert ModelVersion.objects.filter(target=Target.CATEGORY, active=True).count() == 1


@pytest.mark.django_db
def test_train_both_targets_from_the_database(handled):
    train()
    active = {v.target: v for v in ModelVersion.objects.filter(active=True)}
    assert set(active) == {Target.CATEGORY, Target.DEPARTMENT}
    assert active[Target.DEPARTMENT].labels == sorted(
        {handled.departments[d].code for d in ("YLZX", "ZJJ_SZ")}
    )
    assert active[Target.CATEGORY].labels == ["component:01003", "matter:06010", "matter:09006"]


@pytest.mark.django_db
def test_admin_retrains_and_activates(handled, client):
    client.force_login(handled.admin)
    url = "/admin/classifier/modelversion/"
    r = client.post(url, {"action": "retrain_department", "index": 0}, follow=True)
    assert r.status_code == 200
    first = ModelVersion.objects.get(target=Target.DEPARTMENT)
    assert first.active and first.trained_by == handled.admin
    other = a_poor_model(Target.CATEGORY)
    second = model_version_save(
        TextClassifier().fit(["垃圾", "井盖", "垃圾很多", "井盖丢了"], ["YLZX", "ZJJ_SZ", "YLZX", "ZJJ_SZ"]),
        target=Target.DEPARTMENT,
        train_count=4,
        heldout_count=0,
        metrics={},
        source="manual",
    )
    r = client.post(url, {"action": "activate_selected", "_selected_action": [second.pk]}, follow=True)
    assert r.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.active and not first.active
    changes = LogEntry.objects.get_for_object(second)
    assert changes.filter(actor=handled.admin).exists()
    # Two of one target at once are refused: nothing changes.
    r = client.post(
        url, {"action": "activate_selected", "_selected_action": [first.pk, second.pk]}, follow=True
    )
    assert "每个预测目标只能启用一个模型" in r.content.decode()
    second.refresh_from_db()
    assert second.active and other.active
    # The change page shows the per-label figures.
    page = client.get(f"{url}{first.pk}/change/").content.decode()
    assert all(handled.departments[d].code in page for d in ("YLZX", "ZJJ_SZ")) and "召回率" in page


@pytest.mark.django_db
def test_the_nightly_retrain_runs_once_a_day(handled, settings):
    settings.CIVICGRID_CLASSIFIER_RETRAIN_HOUR = 2
    settings.CIVICGRID_CLASSIFIER_MIN_SAMPLES = 10
    assert periodic.registered()["classifier.nightly_retrain"] is nightly_retrain
    assert nightly_retrain(local(2026, 12, 1, 1, 59)) == {}
    done = nightly_retrain(local(2026, 12, 1, 2, 0))
    assert set(done) == {"category", "department"} and all("activated" in v for v in done.values())
    assert ModelVersion.objects.count() == 2
    assert nightly_retrain(local(2026, 12, 1, 23, 0)) == {}
    assert ModelVersion.objects.count() == 2
    settings.CIVICGRID_CLASSIFIER_MIN_SAMPLES = 200
    skipped = nightly_retrain(local(2026, 12, 2, 3, 0))
    assert all(v.startswith("skipped: 18 handled cases") for v in skipped.values())
    assert ModelVersion.objects.count() == 2
    assert list(NightlyRetrain.objects.order_by("day").values_list("day", flat=True)) == [
        local(2026, 12, 1).date(),
        local(2026, 12, 2).date(),
    ]
    settings.CIVICGRID_CLASSIFIER_RETRAIN = "off"
    assert nightly_retrain(local(2026, 12, 3, 3, 0)) == {}


@pytest.mark.django_db
def test_too_few_labels_in_the_database_is_refused(world, categories, settings, tmp_path):
    from django.core.management import CommandError

    settings.CIVICGRID_CLASSIFIER_DIR = tmp_path / "models"
    with pytest.raises(CommandError) as error:
        train("--target", "category")
    assert error.value.returncode == 2 and "没有可训练的样本" in str(error.value)
    assert not ModelVersion.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_activations_at_once_leave_one_active(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises every write)")
    settings.CIVICGRID_CLASSIFIER_DIR = tmp_path / "models"
    classifier = TextClassifier().fit(["垃圾", "井盖", "垃圾很多", "井盖丢了"], ["a", "b", "a", "b"])
    versions = [
        model_version_save(
            classifier, target=Target.OTHER, train_count=4, heldout_count=0, metrics={}, source="x"
        )
        for _ in range(6)
    ]
    start = threading.Barrier(len(versions))
    errors = []

    def activate(version):
        try:
            start.wait(timeout=30)
            model_activate(version=version)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=activate, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert ModelVersion.objects.filter(target=Target.OTHER, active=True).count() == 1
