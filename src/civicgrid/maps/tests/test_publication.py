"""The public map shows a case only once it is registered (立案), with its text as the public may read it."""

from __future__ import annotations

from collections import Counter

import pytest

from civicgrid.analytics import rollups
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case
from civicgrid.cases.tests.helpers import NORTH_1, run_to, submit
from civicgrid.maps import layers
from civicgrid.maps.tests.conftest import CITY_BOX
from civicgrid.maps.tests.test_layers import in_period

pytestmark = pytest.mark.django_db

URL = "/api/map/layers/cases"
PARAMS = {"bbox": CITY_BOX, "zoom": 14}


def cards(client) -> dict[str, str]:
    r = client.get(URL, PARAMS)
    assert r.status_code == 200, r.content
    return {f["properties"]["number"]: f["properties"]["card"]["text"] for f in r.json()["features"]}


def test_the_public_map_waits_for_registration_and_redacts(client, routed_world, categories):
    case = submit(
        routed_world.citizen, NORTH_1, category=categories["04002"], description="张三 13712345678 乱扔垃圾"
    )
    assert case.number not in cards(client)
    client.force_login(routed_world.dispatcher)
    assert cards(client)[case.number] == "张三 13712345678 乱扔垃圾"  # staff read it as written
    client.logout()

    run_to(case, "registered", routed_world)
    assert cards(client)[case.number] == "张三 137******** 乱扔垃圾"


def test_the_public_cell_counts_leave_out_unregistered_cases(client, spread, monkeypatch, settings):
    rollups.rebuild()  # as the worker keeps it
    monkeypatch.setattr(layers, "POINT_LIMIT", 5)  # the binned answer: the rollup less the hidden cases
    in_view = [
        c for c in spread.cases if in_period(c) and c.is_public and c.status not in ("merged", "rejected")
    ]
    waiting = in_view[:3]  # three public reports not registered yet
    Case.objects.filter(pk__in=[c.pk for c in waiting]).update(status=CaseStatus.REPORTED)
    published = in_view[3:]

    body = client.get(URL, PARAMS).json()
    assert body["mode"] == "binned" and body["total"] == len(published)
    assert {f["properties"]["cell"]: f["properties"]["count"] for f in body["features"]} == dict(
        Counter(c.cell.code for c in published)
    )
    settings.CIVICGRID_PUBLISH_BEFORE_REGISTRATION = True
    assert client.get(URL, PARAMS).json()["total"] == len(in_view)
