"""The console's evaluation scores page: who may read it, the streets and units ranked from what was
observed, the weakest standards, and a street's score explained line by line down to the observations."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from civicgrid.evaluation import services
from civicgrid.evaluation.models import Result
from civicgrid.evaluation.tests.pages_helpers import LAT, LON, OTHER_LAT, OTHER_LON, build, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def ew(world):
    """北苑广场 (青春山街道): 1 of 3 standards passes; 天骄公园 (天骄街道): 2 of 3."""
    ew = build(world)
    plan = [
        (ew.rs, LAT, LON, (Result.PASS, Result.FAIL, Result.FAIL)),
        (ew.other_rs, OTHER_LAT, OTHER_LON, (Result.PASS, Result.PASS, Result.FAIL)),
    ]
    for rs, lat, lon, results in plan:
        for standard, result in zip(ew.standards, results, strict=True):
            services.observation_record(
                round_site=rs,
                standard=standard,
                result=result,
                inspector=world.inspector,
                lat=lat,
                lon=lon,
                note="地面有垃圾" if result == Result.FAIL else "",
            )
    return ew


def rows(html: str, table: str, attr: str) -> list[str]:
    section = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(rf'data-{attr}="(\d+)"', section)


@pytest.mark.parametrize("persona", ["citizen", "parks_handler", "inspector", "grid_member"])
def test_only_the_city_view_may_read_the_scores(world, ew, persona):
    response = signed_in(getattr(world, persona)).get(reverse("console:eval_scores"))
    assert response.status_code == 403
    detail = reverse("console:eval_score_detail", args=["street", world.street.pk])
    assert signed_in(getattr(world, persona)).get(detail).status_code == 403


def test_the_leader_sees_streets_and_units_ranked_by_their_score(world, ew):
    response = signed_in(world.leader).get(reverse("console:eval_scores"), {"round": ew.round.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert rows(html, "street-ranking", "street") == [str(ew.other_street.pk), str(world.street.pk)]
    d = world.departments
    assert rows(html, "unit-ranking", "unit") == [str(d["CGJ"].pk), str(d["YLZX"].pk)]
    # City-wide, each standard by its pass rate over both sites: 3 × 2/2 + 3 × 1/2 + 3 × 0/2 of 9.
    assert 'id="city-total">4.50<' in html
    # The weakest standard lost everywhere it was observed.
    weakest = html.split('id="weakest"', 1)[1].split("</table>", 1)[0]
    assert weakest.index("B2.1.3") < weakest.index("B2.1.2")


def test_a_streets_score_is_explained_down_to_the_observations(world, ew):
    url = reverse("console:eval_score_detail", args=["street", world.street.pk])
    response = signed_in(world.leader).get(url, {"round": ew.round.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "青春山街道：3.00" in html
    for standard in ew.standards[1:]:
        line = html.split(f'data-standard="{standard.pk}"', 1)[1].split("</tr>", 1)[0]
        assert "北苑广场" in line and "地面有垃圾" in line  # the failed observation behind the lost points
    assert "天骄公园" not in html


def test_an_unknown_scope_is_not_found(world, ew):
    client = signed_in(world.leader)
    assert client.get(reverse("console:eval_score_detail", args=["street", 999999])).status_code == 404
    assert (
        client.get(reverse("console:eval_score_detail", args=["planet", world.street.pk])).status_code == 404
    )


def test_without_a_round_the_page_says_so(world):
    response = signed_in(world.leader).get(reverse("console:eval_scores"))
    assert response.status_code == 200
    assert 'id="ev-no-round"' in response.content.decode()
