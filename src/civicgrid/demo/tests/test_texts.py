"""The demo city's report texts (demo/texts.py) and the labelled sets `civicgrid demo texts` writes:
varied, deterministic, storable, every category covered, and a held-out split whose phrasings the
training split never produces."""

from __future__ import annotations

import csv
import io
import random
import re

import pytest
from django.core.management import CommandError, call_command

from civicgrid.cases.models import Case
from civicgrid.core.text import text_check
from civicgrid.demo import texts
from civicgrid.demo.city import STREETS
from civicgrid.demo.texts import COMMON

STYLES = ("app", "grid", "hotline", "mailbox")


def draw(kind: str, code: str, n: int, *, seed: int = 1, **options) -> list[str]:
    rng = random.Random(seed)
    return [texts.report_text(kind, code, rng, **options) for _ in range(n)]


def grams(text: str, n: int = 4) -> set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)}


@pytest.mark.parametrize(("kind", "code"), [(k, c) for k, c, _w, _t in COMMON])
def test_every_common_category_has_hundreds_of_phrasings(kind, code):
    assert texts.CATEGORY_TEXTS[(kind, code)] == "rich"
    drawn = draw(kind, code, 1000)
    assert len(set(drawn)) >= 300, len(set(drawn))
    for style in ("grid", "hotline"):
        assert len(set(draw(kind, code, 500, style=style))) >= 150, style


def test_texts_read_like_reports_of_every_length_and_channel():
    drawn = draw("matter", "06010", 3000)
    lengths = [len(t) for t in drawn]
    assert min(lengths) >= 6
    assert 30 <= sum(lengths) / len(lengths) <= 80
    assert 20 <= sum(200 <= n <= 400 for n in lengths) <= 300  # a few letters
    assert any("拉圾" in t for t in drawn)  # a typo people make
    assert any(not re.search("[，。！？]", t) and len(t) > 15 for t in drawn)  # typed without punctuation
    assert any("也" in t and "另外" in t for t in drawn)  # a neighbouring concern
    hotline = draw("matter", "06010", 200, style="hotline")
    assert all(("来电" in t or "热线" in t) for t in hotline), hotline[:3]
    assert sum("诉求" in t for t in hotline) > 50
    letters = draw("component", "01050", 100, style="mailbox")
    assert all(200 <= len(t) <= 400 for t in letters), min(map(len, letters))
    helps = draw("component", "01050", 100, case_kind="help")
    assert sum("帮" in t for t in helps) > 60
    inquiries = draw("component", "01050", 100, case_kind="inquiry")
    assert sum("咨询" in t or "请问" in t or "问一下" in t or "了解" in t for t in inquiries) > 60


def test_every_category_of_the_taxonomy_is_covered_in_every_style_and_split():
    assert len(texts.CATEGORY_TEXTS) == len(texts.taxonomy()) > 400
    rng = random.Random(3)
    for kind, code in texts.CATEGORY_TEXTS:
        for style in STYLES:
            for split in texts.SPLITS:
                text = texts.report_text(kind, code, rng, style=style, split=split)
                # What the intake's check lets into a case's description (Case.description).
                assert text_check(text, field="description", max_length=2000, required=True) == text


def test_texts_are_deterministic_for_a_seed():
    assert draw("matter", "09006", 50, seed=7) == draw("matter", "09006", 50, seed=7)
    assert draw("matter", "09006", 50, seed=7) != draw("matter", "09006", 50, seed=8)
    assert texts.labelled(300, seed=7, split="heldout") == texts.labelled(300, seed=7, split="heldout")


def test_addresses_fit_the_address_field():
    rng = random.Random(5)
    for _ in range(500):
        address = texts.address_text(rng)
        assert text_check(address, field="address", max_length=200, required=True) == address


def test_the_held_out_split_uses_phrasings_the_training_split_never_produces():
    train = texts.labelled(2000, seed=7, split="train")
    heldout = texts.labelled(2000, seed=7, split="heldout")
    assert len(train) == len(heldout) == 2000
    assert not {t for t, _ in train} & {t for t, _ in heldout}
    # Every reserved problem phrase of a common category is absent from its training texts.
    for kind, code, _w, _t in COMMON:
        reserved = texts.RICH[(kind, code)].blocks("heldout").problems
        trained = "\n".join(draw(kind, code, 2000, style="app") + draw(kind, code, 300, style="hotline"))
        assert reserved and not [p for p in reserved if p in trained], code
    # New wording, same domain: many held-out 4-grams are new, most are known.
    seen = set().union(*(grams(t) for t, _ in train))
    held = [g for t, _ in heldout for g in grams(t)]
    new = sum(g not in seen for g in held) / len(held)
    assert 0.2 < new < 0.8, new
    # The labels are the categories as the classifier names them; the common ones all appear.
    assert {label for _, label in heldout} >= {f"{k}:{c}" for k, c, _w, _t in COMMON}


def test_intake_mistakes_pick_a_neighbouring_category():
    rng = random.Random(11)
    picked = [texts.intake_category("matter", "06010", rng) for _ in range(2000)]
    wrong = [p for p in picked if p != ("matter", "06010")]
    assert 0.04 < len(wrong) / len(picked) < 0.12
    assert set(wrong) <= set(texts.neighbours("matter", "06010"))


def test_the_command_writes_a_labelled_csv(tmp_path):
    out = tmp_path / "heldout.csv"
    call_command("demo", "texts", split="heldout", n=500, seed=7, out=out, stdout=io.StringIO())
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["text", "label"]
    assert len(rows) == 501
    assert [tuple(r) for r in rows[1:]] == texts.labelled(500, seed=7, split="heldout")
    assert {r[1] for r in rows[1:]} >= {"matter:06010", "matter:06042", "component:01003"}

    train = tmp_path / "train.csv"
    call_command("demo", "texts", n=500, seed=7, out=train, label="department", stdout=io.StringIO())
    with train.open(encoding="utf-8", newline="") as f:
        department_rows = list(csv.DictReader(f))
    labels = {r["label"] for r in department_rows}
    assert {"HWGS", "CGJ-ZF2", "JJDD", "JD-HBGX", "JD-BH"} <= labels
    # A street-level matter goes to the street office of the community its text names.
    streets = {dept: communities for _no, _name, dept, communities in STREETS}
    for row in department_rows:
        if row["label"].startswith("JD-"):
            assert any(c in row["text"] for c in streets[row["label"]]), row
    assert not set(out.read_text(encoding="utf-8").splitlines()[1:]) & set(
        train.read_text(encoding="utf-8").splitlines()[1:]
    )
    # --common: only the categories of the demo's history (what its classifiers can learn).
    common = tmp_path / "common.csv"
    call_command(
        "demo", "texts", split="heldout", n=300, seed=7, out=common, common=True, stdout=io.StringIO()
    )
    with common.open(encoding="utf-8", newline="") as f:
        common_labels = {r["label"] for r in csv.DictReader(f)}
    assert common_labels == {f"{kind}:{code}" for kind, code, _w, _t in COMMON}
    # --style mailbox: letters only.
    letters = tmp_path / "letters.csv"
    call_command(
        "demo", "texts", split="heldout", n=50, seed=7, out=letters, style="mailbox", stdout=io.StringIO()
    )
    with letters.open(encoding="utf-8", newline="") as f:
        lengths = sorted(len(r["text"]) for r in csv.DictReader(f))
    assert lengths[len(lengths) // 2] > 150


@pytest.mark.parametrize(
    ("options", "message"),
    [({"n": 0}, "--n 必须在 1 到"), ({"n": 10**7}, "--n must be between"), ({"n": 5}, "请用 --out")],
)
def test_the_command_refuses_bad_input_and_writes_nothing(tmp_path, options, message):
    out = tmp_path / "x.csv"
    if "n" in options and options["n"] != 5:
        options = {**options, "out": out}
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("demo", "texts", stdout=io.StringIO(), **options)
    assert not out.exists()


@pytest.mark.django_db
def test_the_department_labels_are_those_the_demo_routing_gives():
    from civicgrid.demo.city import build_city
    from civicgrid.grids.models import Cell
    from civicgrid.taxonomy.models import Category
    from civicgrid.taxonomy.routing import route_case

    build_city()
    cell = Cell.objects.order_by("code").first()
    for category in Category.objects.filter(active=True):
        label = texts.department_label(category.kind, category.code)
        department = route_case(category, cell.code)
        if label == texts.STREET_OFFICE:
            assert department.code.startswith("JD-"), category.code
        else:
            assert department.code == label, category.code
    assert Case.objects.count() == 0


def _history(count: int, seed: int) -> list[Case]:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from civicgrid.demo.history import build_history

    now = datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(now, tick=False):
        build_history(count, seed=seed, now=now, days=60)
    return list(Case.objects.filter(source_ref__startswith="demo:").select_related("category", "cell"))


@pytest.mark.django_db
def test_the_demo_history_stores_texts_category_corrections_and_consistent_departments():
    from civicgrid.cases.choices import Action, CaseStatus
    from civicgrid.cases.models import CaseEvent
    from civicgrid.demo.city import build_city
    from civicgrid.taxonomy.routing import route_case

    build_city()
    cases = _history(400, seed=5)
    assert len(cases) == 400
    assert len({c.description for c in cases}) >= 380  # each case its own text
    assert len({c.address for c in cases}) >= 300
    for case in cases[:50]:
        assert text_check(case.description, field="description", max_length=2000) == case.description
    # Some reports came under a neighbouring category and were registered under the right one.
    corrected = CaseEvent.objects.filter(action=Action.REGISTER, data__has_key="reported_category")
    assert corrected.count() >= 5
    for event in corrected.select_related("case__category"):
        reported = (event.data["reported_kind"], event.data["reported_category"])
        true = (event.case.category.kind, event.case.category.code)
        assert event.data["category"] == true[1] and reported in texts.neighbours(*true)
    # Some first dispatches went to a wrong department, which returned the case.
    mistaken = CaseEvent.objects.filter(action=Action.DISPATCH, data__routed=False)
    assert mistaken.count() >= 5
    returned = set(CaseEvent.objects.filter(action=Action.RETURN).values_list("case_id", flat=True))
    assert {e.case_id for e in mistaken} <= returned
    # A case is finally handled where its category and place route it: a classifier can learn it.
    closed = [c for c in cases if c.status == CaseStatus.CLOSED]
    assert len(closed) > 200
    for case in closed:
        assert case.department_id == route_case(case.category, case.cell.code).pk, case.number
    assert {c.pk for c in closed} & {e.case_id for e in mistaken}


@pytest.mark.django_db(transaction=False)
def test_the_demo_history_texts_are_the_same_for_a_seed():
    from django.db import transaction

    from civicgrid.demo.city import build_city

    build_city()
    runs = []
    for _ in range(2):
        with transaction.atomic():
            runs.append(
                sorted((c.source_ref, c.description, c.address, c.category.code) for c in _history(60, 9))
            )
            transaction.set_rollback(True)
    assert runs[0] == runs[1] and len(runs[0]) >= 55  # a case drawn in the future is left out


@pytest.mark.django_db
def test_the_demo_trains_classifiers_that_suggest_the_category_of_a_new_phrasing(settings, tmp_path):
    import random

    from civicgrid.classifier.models import ModelVersion, Target
    from civicgrid.classifier.services import suggest_categories
    from civicgrid.demo.city import build_city
    from civicgrid.demo.classifier import train_classifiers

    settings.CIVICGRID_CLASSIFIER_DIR = tmp_path
    build_city()
    settings.CIVICGRID_CLASSIFIER_MIN_SAMPLES = 10_000
    _history(300, seed=3)
    assert all("too few" in line for line in train_classifiers())
    assert not ModelVersion.objects.exists()

    settings.CIVICGRID_CLASSIFIER_MIN_SAMPLES = 100
    lines = train_classifiers()
    assert len(lines) == 2 and not any("too few" in line for line in lines)
    model = ModelVersion.objects.get(target=Target.CATEGORY, active=True)
    assert model.metrics["macro_f1"] > 0.5 and model.train_count > 150
    assert ModelVersion.objects.filter(target=Target.DEPARTMENT, active=True).exists()
    # A held-out phrasing (never in the training texts) of a common category: the category is suggested.
    rng = random.Random(1)
    hits = 0
    for _ in range(20):
        text = texts.report_text("matter", "06010", rng, split="heldout")
        ranked = suggest_categories(text, minimum=0.0)
        hits += any(s.category.code == "06010" for s in ranked)
    assert hits >= 16
