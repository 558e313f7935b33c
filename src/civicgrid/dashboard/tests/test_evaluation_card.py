"""The dashboard's 文明测评 card: the latest round's city score and the tasks the units still owe; it
follows a new observation (the cache key holds the round's newest observation)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civicgrid.evaluation import services
from civicgrid.evaluation.models import Result
from civicgrid.evaluation.tests.pages_helpers import LAT, LON, build, signed_in

pytestmark = pytest.mark.django_db


def card(client) -> str:
    html = client.get(reverse("dashboard:home")).content.decode()
    assert 'id="evaluation-card"' in html
    return html.split('id="evaluation-card"', 1)[1].split("</section>", 1)[0]


def test_the_card_shows_the_city_score_and_follows_new_observations(world):
    ew = build(world)
    client = signed_in(world.leader)
    assert 'id="evaluation-total">0' in card(client)  # nothing observed yet
    for standard, result in zip(ew.standards, (Result.PASS, Result.PASS, Result.FAIL), strict=True):
        services.observation_record(
            round_site=ew.rs, standard=standard, result=result, inspector=world.inspector, lat=LAT, lon=LON
        )
    shown = card(client)
    assert 'id="evaluation-total">6.00<' in shown
    assert "66.7%" in shown
    assert "待整改" in shown and "<dd>1" in shown


def test_no_card_before_a_round_begins(world):
    html = signed_in(world.leader).get(reverse("dashboard:home")).content.decode()
    assert 'id="evaluation-card"' not in html
