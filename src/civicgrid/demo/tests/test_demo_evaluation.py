"""The demo evaluation: an edition shaped like the national system, sites, a closed round that scores and
an open round under way; a second run adds nothing."""

from __future__ import annotations

from decimal import Decimal

from civicgrid.demo.evaluation import DEMO_EDITION, build_evaluation
from civicgrid.evaluation.models import (
    Edition,
    EditionStatus,
    Observation,
    RectificationTask,
    Round,
    RoundStatus,
    Site,
    Standard,
)
from civicgrid.evaluation.reports import street_ranking
from civicgrid.evaluation.scoring import round_scores


def test_the_demo_evaluation_scores_and_runs_once(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    summary = build_evaluation()
    edition = Edition.objects.get(name=DEMO_EDITION)
    assert edition.status == EditionStatus.PUBLISHED
    standards = Standard.objects.filter(content__item__edition=edition)
    assert standards.count() >= 200
    basic = sum(s.points for s in standards.filter(content__item__local=False))
    feature = sum(s.points for s in standards.filter(content__item__local=True))
    assert (basic, feature) == (Decimal("100.00"), Decimal("20.00"))
    assert Site.objects.count() == 150
    closed = Round.objects.get(edition=edition, status=RoundStatus.CLOSED)
    scores = round_scores(closed)
    assert 0 < scores.city.total < scores.city.assessed <= Decimal("120")
    assert {m for m, x in scores.city.methods.items() if x.assessed} == {"field", "material", "questionnaire"}
    assert street_ranking(closed)[0].rank == 1
    assert sum(n.deduction for n in scores.city.negatives) == Decimal("1")
    opened = Round.objects.get(edition=edition, status=RoundStatus.OPEN)
    assert Observation.objects.filter(round_site__round=opened).exists()
    assert (
        RectificationTask.objects.filter(observation__round_site__round=opened).count()
        == Observation.objects.filter(round_site__round=opened, result="fail").count()
    )
    assert "standards" in summary
    before = Observation.objects.count()
    assert build_evaluation() == "already built" and Observation.objects.count() == before
