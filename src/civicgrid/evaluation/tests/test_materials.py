"""Material review: a unit submits, a reviewer scores or returns once, the score feeds the standard."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.evaluation.materials import material_review, material_submit
from civicgrid.evaluation.models import MaterialFile, MaterialState, MaterialSubmission
from civicgrid.evaluation.scoring import round_scores
from civicgrid.evaluation.tests.score_helpers import open_round, small_edition


def pdf(name: str = "台账.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


@pytest.fixture
def setup(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    edition, standards = small_edition()
    rnd, sites = open_round(edition, world)
    return world, rnd, standards


def test_submit_review_return_and_one_resubmission(setup):
    w, rnd, s = setup
    unit = w.departments["ZJJ_SZ"]
    first = material_submit(
        round=rnd, standard=s["docs"], unit=unit, actor=w.roads_handler, files=[pdf()], note="全年台账"
    )
    assert first.attempt == 1 and first.state == MaterialState.SUBMITTED
    assert MaterialFile.objects.filter(submission=first).count() == 1
    with pytest.raises(Conflict) as err:
        material_submit(round=rnd, standard=s["docs"], unit=unit, actor=w.roads_handler, files=[pdf()])
    assert err.value.code == "material_already_submitted"

    returned = material_review(
        submission=first, reviewer=w.inspector, score="1", comment="缺少第四季度", return_for_more=True
    )
    assert returned.state == MaterialState.RETURNED and returned.score == Decimal("1.00")
    assert round_scores(rnd).units[unit.pk].standards[s["docs"].pk].score == Decimal("1.00")

    second = material_submit(
        round=rnd, standard=s["docs"], unit=unit, actor=w.roads_handler, files=[pdf("补充.pdf")]
    )
    assert second.attempt == 2
    with pytest.raises(Conflict) as err:
        material_review(
            submission=second, reviewer=w.inspector, score=2, comment="再补", return_for_more=True
        )
    assert err.value.code == "material_no_more_resubmission"
    material_review(submission=second, reviewer=w.inspector, score="2.5", comment="齐全")
    scores = round_scores(rnd)
    line = scores.units[unit.pk].standards[s["docs"].pk]
    assert line.score == Decimal("2.50") and line.materials == [second.pk]
    with pytest.raises(Conflict) as err:
        material_submit(round=rnd, standard=s["docs"], unit=unit, actor=w.roads_handler, files=[pdf()])
    assert err.value.code == "material_already_submitted"
    with pytest.raises(Conflict) as err:
        material_review(submission=second, reviewer=w.inspector, score=3)
    assert err.value.code == "material_already_reviewed"


def test_refusals_change_nothing(setup):
    w, rnd, s = setup
    unit = w.departments["ZJJ_SZ"]
    with pytest.raises(PermissionDenied):
        material_submit(round=rnd, standard=s["docs"], unit=unit, actor=w.parks_handler, files=[pdf()])
    with pytest.raises(DomainError) as err:
        material_submit(round=rnd, standard=s["litter"], unit=unit, actor=w.roads_handler, files=[pdf()])
    assert err.value.code == "material_not_material_standard"
    with pytest.raises(DomainError) as err:
        material_submit(round=rnd, standard=s["docs"], unit=unit, actor=w.roads_handler, files=[])
    assert err.value.code == "material_files_required"
    with pytest.raises(DomainError) as err:
        material_submit(
            round=rnd,
            standard=s["docs"],
            unit=unit,
            actor=w.roads_handler,
            files=[SimpleUploadedFile("x.exe", b"MZ")],
        )
    assert err.value.code == "material_file_type"
    assert not MaterialSubmission.objects.exists()
    sub = material_submit(round=rnd, standard=s["docs"], unit=unit, actor=w.roads_handler, files=[pdf()])
    with pytest.raises(DomainError) as err:
        material_review(submission=sub, reviewer=w.inspector, score="3.01")
    assert err.value.code == "material_score_out_of_range"
    with pytest.raises(DomainError):
        material_review(submission=sub, reviewer=w.inspector, score="abc")
    with pytest.raises(PermissionDenied):
        material_review(submission=sub, reviewer=w.roads_handler, score=3)
    sub.refresh_from_db()
    assert sub.state == MaterialState.SUBMITTED and sub.score is None


def test_closed_round_takes_no_materials(setup):
    w, rnd, s = setup
    rnd.status = "closed"
    rnd.save(update_fields=["status"])
    with pytest.raises(Conflict) as err:
        material_submit(
            round=rnd, standard=s["docs"], unit=w.departments["ZJJ_SZ"], actor=w.roads_handler, files=[pdf()]
        )
    assert err.value.code == "material_round_closed"


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_make_one(world, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is exercised on PostgreSQL")
    settings.MEDIA_ROOT = tmp_path
    edition, s = small_edition()
    rnd, _ = open_round(edition, world)
    unit = world.departments["ZJJ_SZ"]
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        try:
            barrier.wait()
            outcomes.append(
                material_submit(
                    round=rnd, standard=s["docs"], unit=unit, actor=world.roads_handler, files=[pdf()]
                )
            )
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(isinstance(o, MaterialSubmission) for o in outcomes) == 1
    assert outcomes.count("material_already_submitted") == 3
    assert MaterialSubmission.objects.filter(round=rnd).count() == 1
