"""The map API's contract: ETag and 304, cache headers, who may load what, clear errors, pinned query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.accounts.clients import api_personal_key_issue
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import CaseEvent
from civicgrid.maps import layers, selectors
from civicgrid.maps.tests.conftest import CITY_BOX, bulk_cases

pytestmark = pytest.mark.django_db

URL = "/api/map/layers/"
PARAMS = {"bbox": CITY_BOX, "zoom": 14}


def test_etag_and_if_none_match_answer_304_until_the_data_changes(client, routed_world, categories, spread):
    client.force_login(routed_world.dispatcher)
    first = client.get(URL + "cases", PARAMS)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('W/"')
    assert first["Cache-Control"] == f"private, max-age={selectors.MAX_AGE}"
    assert "Cookie" in first["Vary"]

    again = client.get(URL + "cases", PARAMS, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag

    # Other parameters are another answer …
    assert client.get(URL + "cases", {**PARAMS, "zoom": 15})["ETag"] != etag
    assert (
        client.get(URL + "cases", {**PARAMS, "status": "closed"}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    )
    # … and so is the same request for a visitor (public cases only).
    client.logout()
    assert client.get(URL + "cases", PARAMS)["ETag"] != etag
    client.force_login(routed_world.dispatcher)

    # A new report (a new CaseEvent) makes the old tag stale.
    case_submit(
        reporter=routed_world.citizen,
        submission=Submission(
            description="井盖缺失", lat=39.6153, lon=109.7652, category=categories["01003"]
        ),
    )
    fresh = client.get(URL + "cases", PARAMS, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert len(fresh.json()["features"]) == len(first.json()["features"]) + 1


def test_live_layers_keep_their_version_for_the_configured_span(world, settings, frozen):
    settings.CIVICGRID_MAP_LIVE_SECONDS = 60
    now = timezone.now()  # 15:00:00 sharp: the start of a span
    cases, boundaries = selectors.LAYERS["cases"], selectors.LAYERS["boundaries"]
    assert cases.live and not boundaries.live
    version = selectors.layer_version(cases, now)
    assert selectors.layer_version(cases, now + timedelta(seconds=59)) == version
    assert selectors.layer_version(cases, now + timedelta(seconds=60)) != version
    assert selectors.layer_version(boundaries, now + timedelta(hours=5)) == selectors.layer_version(
        boundaries, now
    )
    settings.CIVICGRID_MAP_LIVE_SECONDS = 600
    assert selectors.layer_version(cases, now + timedelta(seconds=599)) == selectors.layer_version(cases, now)


def test_grid_layers_change_tag_with_the_grid_revision(client, world):
    from civicgrid.grids.services import grid_revision_bump

    etag = client.get(URL + "boundaries", PARAMS)["ETag"]
    assert client.get(URL + "boundaries", PARAMS, HTTP_IF_NONE_MATCH=etag).status_code == 304
    grid_revision_bump()
    assert client.get(URL + "boundaries", PARAMS, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize("layer", ["cell_density", "cell_overdue", "stalls"])
@pytest.mark.parametrize("persona", [None, "citizen", "grid_member", "roads_handler", "inspector"])
def test_private_layers_are_refused_to_everyone_without_the_city_view(client, world, layer, persona):
    if persona:
        client.force_login(getattr(world, persona))
    r = client.get(URL + layer, PARAMS)
    assert r.status_code == 403 and r.json()["error"] == "layer_forbidden"


@pytest.mark.parametrize("persona", ["dispatcher", "leader", "admin"])
def test_city_view_roles_load_every_layer(client, world, persona):
    client.force_login(getattr(world, persona))
    for layer in selectors.LAYERS:
        assert client.get(URL + layer, PARAMS).status_code == 200, layer


def test_a_bearer_token_is_honoured(client, world, spread):
    _token, raw = api_personal_key_issue(user=world.leader, name="大屏")
    assert client.get(URL + "cell_overdue", PARAMS).status_code == 403
    assert client.get(URL + "cell_overdue", PARAMS, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert client.get(URL + "cell_overdue", PARAMS, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"bbox": "1,2,3"}, 422, "bbox_invalid", "bbox"),
        ({"bbox": "a,b,c,d"}, 422, "bbox_invalid", "bbox"),
        ({"bbox": "109.8,39.6,109.7,39.7"}, 422, "bbox_invalid", "bbox"),
        ({"bbox": "-200,0,10,10"}, 422, "bbox_invalid", "bbox"),
        ({"zoom": 40}, 422, "zoom_invalid", "zoom"),
        ({"zoom": "near"}, 422, "invalid_input", "zoom"),
        ({"start": "2026-11-20", "end": "2026-11-01"}, 422, "period_invalid", "start"),
        ({"start": "2020-01-01", "end": "2026-11-01"}, 422, "period_too_long", "start"),
        ({"start": "yesterday"}, 422, "invalid_input", "start"),
        ({"status": "lost"}, 422, "invalid_input", None),
        ({"category": "99999"}, 422, "category_unknown", "category"),
        ({"street": "150603999"}, 422, "street_unknown", "street"),
    ],
)
def test_bad_parameters_are_clear_errors(client, world, params, status, code, field):
    query = {**PARAMS, **params}
    if "bbox" not in params:
        query["bbox"] = CITY_BOX
    r = client.get(URL + "cases", query)
    assert r.status_code == status, r.content
    body = r.json()
    assert body["error"] == code and body["message_zh"] and body["message_en"]
    if field:
        assert body["field"] == field


def test_missing_bbox_and_unknown_layer(client, world):
    assert client.get(URL + "cases", {"zoom": 14}).status_code == 422
    r = client.get(URL + "parking", PARAMS)
    assert r.status_code == 404 and r.json()["error"] == "layer_unknown"


# --- pinned query counts ------------------------------------------------------------------------------

# Signed in: the session and the user (2), then the layer's version (one aggregate per source) and the
# layer itself. Visitors without a session cookie skip the first two.
QUERIES = {
    "boundaries": 2 + 1 + 2,  # grid revision; streets, communities
    "cell_density": 2 + 2 + 2,  # events, grid revision; cells, rollup
    "cell_overdue": 2 + 2 + 2,  # events, grid revision; cells, overdue counts
    "cases": 2 + 2 + 2,  # events, grid revision; the ids in view (up to the threshold), their cases
    "duplicates": 2 + 1 + 2,  # events; the hottest cases in view (heat from the period's events), their rows
    "places": 2 + 1 + 1,  # places (+ active codes); places with categories and code flags
    "merchants": 2 + 2 + 1,  # merchants, inspections; merchants
    "stalls": 2 + 1 + 1,  # stalls; stalls
}


def me_too(cases) -> None:
    """A me-too report on each case (a duplicate hot spot)."""
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case=c, action="me_too", from_status=c.status, to_status=c.status, created_at=c.created_at
            )
            for c in cases
        ]
    )


def count(client, layer: str, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(URL + layer, {**PARAMS, **params})
    assert r.status_code == 200, r.content
    return len(ctx)


@pytest.mark.parametrize("layer", list(QUERIES))
def test_every_layer_costs_a_fixed_number_of_queries(client, routed_world, categories, codes, frozen, layer):
    client.force_login(routed_world.leader)
    me_too(bulk_cases(routed_world, categories, 10)[::3])
    few = count(client, layer)
    me_too(bulk_cases(routed_world, categories, 80, start=10)[::3])
    assert count(client, layer) == few == QUERIES[layer]
    # A 304 costs only the version.
    etag = client.get(URL + layer, PARAMS)["ETag"]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL + layer, PARAMS, HTTP_IF_NONE_MATCH=etag).status_code == 304
    data_queries = {"boundaries": 2, "cell_density": 2, "cell_overdue": 2, "cases": 2, "duplicates": 2}
    assert len(ctx) == QUERIES[layer] - data_queries.get(layer, 1)


def test_binned_cases_cost_the_same_and_filters_resolve_once(
    client, routed_world, categories, frozen, monkeypatch
):
    client.force_login(routed_world.dispatcher)
    bulk_cases(routed_world, categories, 40)
    monkeypatch.setattr(layers, "POINT_LIMIT", 10)
    # the capped ids, then the view's cells and their rollup rows
    assert count(client, "cases") == QUERIES["cases"] + 1
    # with filters: the capped ids, then the hexagons' grouped count; category and street resolved once each
    assert (
        count(client, "cases", category="matter:06010", street=routed_world.street.code)
        == QUERIES["cases"] + 2
    )


def test_public_binned_cases_cost_a_fixed_number_of_queries(
    client, routed_world, categories, frozen, monkeypatch
):
    bulk_cases(routed_world, categories, 40)
    monkeypatch.setattr(layers, "POINT_LIMIT", 10)
    # No session; the capped ids, then the view's cells, their rollup rows and the cases hidden from the public.
    few = count(client, "cases")
    bulk_cases(routed_world, categories, 80, start=40)
    assert count(client, "cases") == few == QUERIES["cases"] - 2 + 2


def test_visitors_cost_no_session_queries(client, world, frozen):
    # No case in view: the ids query finds none and no rows are fetched.
    assert count(client, "cases") == QUERIES["cases"] - 2 - 1


def test_a_key_without_cases_read_gets_the_public_map(client, world):
    from civicgrid.accounts.clients import api_client_create, api_key_issue
    from civicgrid.maps.api import viewer

    class Request:
        def __init__(self, raw):
            self.headers = {"Authorization": f"Bearer {raw}"}
            self.user = None

    without = api_key_issue(client=api_client_create(name="a", user=world.leader, scopes=["stats:read"]))[1]
    with_scope = api_key_issue(client=api_client_create(name="b", user=world.leader, scopes=["cases:read"]))[
        1
    ]
    assert not viewer(Request(without)).is_authenticated
    assert viewer(Request(with_scope)) == world.leader
