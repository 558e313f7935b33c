"""The console's evaluation rounds: an administrator creates a round, draws its sample, assigns the sites
to an inspector and opens it; others may not; a bad form changes nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from civicgrid.evaluation.models import Round, RoundSite, RoundStatus
from civicgrid.evaluation.tests.pages_helpers import build, signed_in

pytestmark = pytest.mark.django_db


def new_round(client, ew, **change):
    data = {
        "edition": ew.edition.pk,
        "name": "2026 第二轮",
        "starts_on": "2026-03-01",
        "ends_on": "2026-03-31",
        "strata": json.dumps({"per_type": {"park": 1}}),
        "seed": "7",
        **change,
    }
    return client.post(reverse("console:eval_rounds"), data)


def test_create_draw_assign_and_open_a_round(world):
    ew = build(world)
    admin = signed_in(world.admin)
    response = new_round(admin, ew)
    assert response.status_code == 302
    made = Round.objects.get(name="2026 第二轮")
    assert made.seed == 7 and made.status == RoundStatus.DRAFT
    url = reverse("console:eval_round", args=[made.pk])
    admin.post(url, {"action": "draw"})
    drawn = list(RoundSite.objects.filter(round=made))
    # One park per street: 青春山街道 has two (one drawn), 天骄街道 one.
    assert len(drawn) == 2
    admin.post(url, {"action": "assign", "inspector": world.inspector.pk, "sites": [rs.pk for rs in drawn]})
    assert {rs.inspector_id for rs in RoundSite.objects.filter(round=made)} == {world.inspector.pk}
    admin.post(url, {"action": "open"})
    made.refresh_from_db()
    assert made.status == RoundStatus.OPEN
    page = admin.get(url).content.decode()
    assert page.count("data-round-site=") == 2 and "周杰" in page


def test_assigning_to_someone_who_is_not_an_inspector_is_refused(world):
    ew = build(world)
    admin = signed_in(world.admin)
    new_round(admin, ew)
    made = Round.objects.get(name="2026 第二轮")
    url = reverse("console:eval_round", args=[made.pk])
    admin.post(url, {"action": "draw"})
    rs = RoundSite.objects.filter(round=made).first()
    response = admin.post(
        url, {"action": "assign", "inspector": world.leader.pk, "sites": [rs.pk]}, follow=True
    )
    assert "只能分配给督查员" in response.content.decode()
    rs.refresh_from_db()
    assert rs.inspector_id is None


def test_a_round_ending_before_it_starts_is_refused(world):
    ew = build(world)
    response = new_round(signed_in(world.admin), ew, ends_on="2026-02-01")
    assert response.status_code == 422
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert not Round.objects.filter(name="2026 第二轮").exists()


@pytest.mark.parametrize("persona", ["leader", "inspector", "dispatcher"])
def test_only_administrators_manage_rounds(world, persona):
    ew = build(world)
    client = signed_in(getattr(world, persona))
    assert client.get(reverse("console:eval_rounds")).status_code == 403
    assert new_round(client, ew).status_code == 403
    assert (
        client.post(reverse("console:eval_round", args=[ew.round.pk]), {"action": "close"}).status_code == 403
    )
    ew.round.refresh_from_db()
    assert ew.round.status == RoundStatus.OPEN
    assert not Round.objects.filter(name="2026 第二轮").exists()
