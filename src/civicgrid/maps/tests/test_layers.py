"""The map layers through the API: what each layer holds for a bbox, a period and filters, checked
against direct counts over the known fixture (conftest.bulk_cases)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from civicgrid.analytics import rollups
from civicgrid.cases.choices import TIMED_STATUSES, CaseStatus
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.helpers import move
from civicgrid.maps import layers, selectors
from civicgrid.maps.tests.conftest import CITY_BOX, NORTH_BOX, NOW, bulk_cases

pytestmark = pytest.mark.django_db


def get(client, layer: str, **params):
    params.setdefault("bbox", CITY_BOX)
    params.setdefault("zoom", 14)
    r = client.get(f"/api/map/layers/{layer}", params)
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["layer"] == layer
    return body


def numbers(body) -> set[str]:
    return {f["properties"]["number"] for f in body["features"]}


def in_period(case: Case, days: int = 30) -> bool:
    return timezone.localdate(case.created_at) >= timezone.localdate(NOW) - timedelta(days=days - 1)


# --- catalogue --------------------------------------------------------------------------------------


def test_catalogue_lists_every_layer_and_who_may_load_it(client, world):
    layers = {row["id"]: row for row in client.get("/api/map/layers").json()["layers"]}
    assert set(layers) == set(selectors.LAYERS)
    assert {i for i, row in layers.items() if row["available"]} == {
        "boundaries",
        "cases",
        "duplicates",
        "places",
        "merchants",
        "volunteers",
    }
    assert layers["cell_overdue"]["audience"] == "staff" and layers["cell_overdue"]["kind"] == "choropleth"
    assert {item["value"] for item in layers["cases"]["legend"]} == set(CaseStatus.values)
    client.force_login(world.leader)
    assert all(row["available"] for row in client.get("/api/map/layers").json()["layers"])


# --- cases ------------------------------------------------------------------------------------------


def test_staff_see_every_case_of_the_period_in_the_bbox_with_console_links(client, routed_world, spread):
    client.force_login(routed_world.dispatcher)
    body = get(client, "cases")
    assert body["mode"] == "points"
    assert numbers(body) == {c.number for c in spread.cases if in_period(c)}
    card = body["features"][0]["properties"]["card"]
    assert card["url"] == f"/console/cases/{body['features'][0]['properties']['number']}/"
    assert any(row[0] == "时限" for row in card["rows"])  # staff see the light

    west = get(client, "cases", bbox="109.76,39.61,109.77,39.62")
    assert numbers(west) == {c.number for c in spread.cases if in_period(c) and c.lon <= 109.77}
    assert 0 < len(west["features"]) < len(body["features"])


def test_citizens_and_visitors_see_only_public_cases_masked(client, routed_world, spread):
    expected = {c.number for c in spread.cases if in_period(c) and c.is_public}
    assert expected and expected != {c.number for c in spread.cases if in_period(c)}
    anonymous = get(client, "cases")
    client.force_login(routed_world.citizen)
    citizen = get(client, "cases")
    for body in (anonymous, citizen):
        assert numbers(body) == expected
        for f in body["features"]:
            lon, lat = f["geometry"]["coordinates"]
            assert round(lon, 4) == lon and round(lat, 4) == lat  # rounded as on /reports/
            card = f["properties"]["card"]
            assert card["url"] == f"/reports/{f['properties']['number']}/"
            assert not any(row[0] in ("处置部门", "时限") for row in card["rows"])
            assert "王芳" not in str(f)  # the reporter is never named


def test_the_public_card_agrees_with_public_out_case_by_case(client, routed_world, spread):
    from civicgrid.cases.selectors import public_out

    body = get(client, "cases")
    assert body["features"]
    by_number = {c.number: c for c in Case.objects.select_related("category", "street")}
    for f in body["features"]:
        pub = public_out(by_number[f["properties"]["number"]], timeline=False)
        card = dict(f["properties"]["card"]["rows"])
        assert f["geometry"]["coordinates"] == [pub["lon"], pub["lat"]]
        assert card["状态"] == pub["status_label"] and card["分类"] == pub["category_name"]
        assert card["地址"] == pub["address"] and f["properties"]["card"]["text"] == pub["description"]
        assert f["properties"]["card"]["title"] == f"{pub['category_name']} · {pub['number']}"


def test_period_status_category_and_street_filters(client, routed_world, categories, spread):
    client.force_login(routed_world.leader)
    today = timezone.localdate(NOW)
    week = get(client, "cases", start=str(today - timedelta(days=6)), end=str(today))
    assert numbers(week) == {c.number for c in spread.cases if in_period(c, 7)}
    assert 0 < len(week["features"]) < len(spread.cases)
    assert week["period"] == {"start": str(today - timedelta(days=6)), "end": str(today)}

    accepted = get(client, "cases", status=["accepted", "closed"])
    assert numbers(accepted) == {
        c.number for c in spread.cases if in_period(c) and c.status in ("accepted", "closed")
    }
    garbage = get(client, "cases", category="matter:06010")
    assert numbers(garbage) == {c.number for c in spread.cases if in_period(c) and c.category.code == "06010"}
    street = get(client, "cases", street=routed_world.street.code)
    assert numbers(street) == {c.number for c in spread.cases if in_period(c)}


def test_beyond_the_threshold_cases_are_counted_not_shipped(client, routed_world, spread, monkeypatch):
    rollups.rebuild()  # as the worker keeps it
    client.force_login(routed_world.dispatcher)
    visible = [c for c in spread.cases if in_period(c)]
    monkeypatch.setattr(layers, "POINT_LIMIT", len(visible))
    assert get(client, "cases")["mode"] == "points"  # exactly at the threshold: still points

    monkeypatch.setattr(layers, "POINT_LIMIT", len(visible) - 1)
    # Staff without a case filter: cases per unit grid cell from the rollup.
    body = get(client, "cases")
    assert body["mode"] == "binned" and body["total"] == len(visible)
    assert {f["properties"]["cell"]: f["properties"]["count"] for f in body["features"]} == dict(
        Counter(c.cell.code for c in visible)
    )
    assert body["legend"] and all("number" not in f["properties"] for f in body["features"])

    # With a case filter: h3 hexagons counted in SQL.
    monkeypatch.setattr(layers, "POINT_LIMIT", 5)
    open_ = [c for c in visible if c.status != "closed"]
    hexes = get(client, "cases", status=[s for s in CaseStatus.values if s != "closed"])
    assert hexes["mode"] == "binned" and hexes["total"] == len(open_)
    assert sum(f["properties"]["count"] for f in hexes["features"]) == len(open_)
    assert all(f["geometry"]["type"] == "Polygon" and "h3" in f["properties"] for f in hexes["features"])

    # A huge view at a close zoom is coarsened: never more than MAX_BINS groups.
    wide = get(client, "cases", bbox="100,30,120,45", zoom=18, status=["accepted"])
    assert wide["mode"] == "binned" and 0 < len(wide["features"]) <= layers.MAX_BINS
    assert sum(f["properties"]["count"] for f in wide["features"]) == len(
        [c for c in visible if c.status == "accepted"]
    )


def test_the_public_binning_counts_public_cases_only(client, routed_world, spread, monkeypatch):
    rollups.rebuild()  # as the worker keeps it
    # Two public cases of the period leave the public's view after being counted as reported.
    public = [c for c in spread.cases if in_period(c) and c.is_public]
    Case.objects.filter(pk=public[0].pk).update(status=CaseStatus.REJECTED)
    Case.objects.filter(pk=public[1].pk).update(status=CaseStatus.MERGED)
    shown = public[2:]
    monkeypatch.setattr(layers, "POINT_LIMIT", 5)
    # Without a case filter: per unit grid cell, the rollup less the cases hidden from the public.
    body = get(client, "cases")
    assert body["mode"] == "binned" and body["total"] == len(shown)
    assert {f["properties"]["cell"]: f["properties"]["count"] for f in body["features"]} == dict(
        Counter(c.cell.code for c in shown)
    )
    # With a case filter: h3 hexagons over the public cases only.
    matching = [c for c in shown if c.category.code == "06013"]
    hexes = get(client, "cases", category="matter:06013")
    assert hexes["mode"] == "binned" and all("h3" in f["properties"] for f in hexes["features"])
    assert hexes["total"] == len(matching) == sum(f["properties"]["count"] for f in hexes["features"])


# --- choropleths ------------------------------------------------------------------------------------


def test_density_from_the_rollup_agrees_with_a_direct_count(client, routed_world, spread):
    rollups.rebuild()
    client.force_login(routed_world.dispatcher)
    body = get(client, "cell_density")
    assert body["mode"] == "choropleth"
    direct = Counter(c.cell.code for c in spread.cases if in_period(c))
    got = {f["properties"]["code"]: f["properties"]["value"] for f in body["features"]}
    assert set(got) == set(routed_world.cells)  # every cell of the view, zero or not
    assert got == {code: direct.get(code, 0) for code in routed_world.cells}
    assert body["legend"] and body["legend"][0]["min"] == 1
    # With a case filter the rollup cannot answer: the same figure comes from Case, and agrees with it.
    filtered = get(client, "cell_density", category="matter:06013")
    direct = Counter(c.cell.code for c in spread.cases if in_period(c) and c.category.code == "06013")
    assert {f["properties"]["code"]: f["properties"]["value"] for f in filtered["features"]} == {
        code: direct.get(code, 0) for code in routed_world.cells
    }


def test_the_rollup_path_and_the_case_path_give_the_same_density(routed_world, spread):
    rollups.rebuild()
    params = selectors.parse_params(
        bbox=CITY_BOX, zoom=14, start=None, end=None, statuses=None, category=None, street=None, now=NOW
    )
    from_rollup = layers._rollup_counts(params)
    assert from_rollup is not None
    direct = dict(
        selectors.case_queryset(params, staff=True).values_list("cell_id").annotate(n=Count("id")).order_by()
    )
    assert {k: v for k, v in from_rollup.items() if v} == direct


@pytest.mark.parametrize(
    "start,end",
    [
        ("2026-08-01", "2026-11-27"),  # from the 1st: whole months, then the days of November
        ("2026-08-15", "2026-10-31"),  # to a month's end: the days of August, then whole months
        ("2026-07-20", "2026-11-27"),  # days at both ends around whole months
        ("2026-09-01", "2026-09-30"),  # exactly one month
        ("2026-10-05", "2026-10-20"),  # no whole month: days only
    ],
)
def test_density_over_months_reads_monthly_and_daily_rollups_and_agrees_with_cases(
    routed_world, categories, frozen, start, end
):
    bulk_cases(routed_world, categories, 450, days_back=130)  # one every 7 hours, mid-July to November
    rollups.rebuild()
    params = selectors.parse_params(
        bbox=CITY_BOX,
        zoom=14,
        start=timezone.datetime.fromisoformat(start).date(),
        end=timezone.datetime.fromisoformat(end).date(),
        statuses=None,
        category=None,
        street=None,
        now=NOW,
    )
    direct = dict(
        selectors.case_queryset(params, staff=True).values_list("cell_id").annotate(n=Count("id")).order_by()
    )
    assert sum(direct.values()) > 10
    from_rollup = layers._rollup_counts(params)
    assert {k: v for k, v in from_rollup.items() if v} == direct


def test_overdue_counts_open_cases_past_their_limit(client, routed_world, spread):
    client.force_login(routed_world.leader)
    body = get(client, "cell_overdue", bbox=NORTH_BOX)
    direct = Counter(
        c.cell.code
        for c in spread.cases
        if in_period(c) and c.status in TIMED_STATUSES and c.due_at and c.due_at < NOW
    )
    assert sum(direct.values()) > 0
    got = {f["properties"]["code"]: f["properties"]["value"] for f in body["features"]}
    assert {k: v for k, v in got.items() if v} == dict(direct)
    assert all(f["properties"]["fill"] for f in body["features"] if f["properties"]["value"])


# --- hot spots, boundaries, codes --------------------------------------------------------------------


def test_duplicate_hot_spots_rank_me_too_and_merged_reports_of_the_period(
    client, routed_world, categories, spread
):
    hot, old = spread.cases[1], spread.cases[2]
    # Three me-too reports on one case today, one on another two months ago (outside the period).
    CaseEvent.objects.bulk_create(
        [CaseEvent(case=hot, action="me_too", from_status=hot.status, to_status=hot.status, created_at=NOW)]
        * 3
        + [
            CaseEvent(
                case=old,
                action="me_too",
                from_status=old.status,
                to_status=old.status,
                created_at=NOW - timedelta(days=60),
            )
        ]
    )
    # A duplicate through intake: the second report at the same place is merged into the first.
    first = case_submit(
        reporter=routed_world.citizen,
        submission=Submission(
            description="井盖缺失", lat=39.6153, lon=109.7652, category=categories["01003"]
        ),
    ).case
    second = case_submit(
        reporter=routed_world.inspector,
        submission=Submission(
            description="这里井盖没了", lat=39.61531, lon=109.76521, category=categories["01003"]
        ),
    ).case
    assert second.duplicate_of_id == first.pk
    client.force_login(routed_world.dispatcher)
    body = get(client, "duplicates")
    heat = {f["properties"]["number"]: f["properties"]["heat"] for f in body["features"]}
    assert heat == {hot.number: 3, first.number: 1}
    assert body["features"][0]["properties"]["number"] == hot.number  # hottest first
    assert body["features"][0]["properties"]["radius"] > body["features"][1]["properties"]["radius"]
    today = timezone.localdate(NOW)
    earlier = get(
        client, "duplicates", start=str(today - timedelta(days=90)), end=str(today - timedelta(days=30))
    )
    assert {f["properties"]["number"]: f["properties"]["heat"] for f in earlier["features"]} == {
        old.number: 1
    }
    # The public see public cases only, once registered (立案).
    Case.objects.filter(pk=hot.pk).update(is_public=False)
    client.logout()
    assert get(client, "duplicates")["features"] == []
    move(first, "register", routed_world.dispatcher)
    assert {f["properties"]["number"] for f in get(client, "duplicates")["features"]} == {first.number}


def test_boundaries_give_the_street_and_its_communities(client, world):
    body = get(client, "boundaries")
    assert {(f["properties"]["level"], f["properties"]["code"]) for f in body["features"]} == {
        ("street", world.street.code),
        ("community", world.north.code),
        ("community", world.south.code),
    }
    far = get(client, "boundaries", bbox="100,30,100.1,30.1")
    assert far["features"] == []


def test_places_merchants_and_stalls_from_the_codes_app(client, routed_world, codes):
    places = get(client, "places")
    assert [f["properties"]["code"] for f in places["features"]] == [codes.place.place.component_code]
    assert "已赋码" in str(places["features"][0]["properties"]["card"]["rows"])
    merchants = get(client, "merchants")
    assert [f["properties"]["card"]["title"] for f in merchants["features"]] == ["老李烧烤"]
    assert "李老板" not in str(merchants)  # the owner is not on the map
    assert client.get("/api/map/layers/stalls", {"bbox": CITY_BOX}).status_code == 403
    client.force_login(routed_world.leader)
    stalls = get(client, "stalls")
    assert len(stalls["features"]) == 1 and stalls["features"][0]["geometry"]["type"] == "Polygon"
    assert "张小贩" not in str(stalls)
    assert get(client, "stalls", bbox="109.78,39.60,109.79,39.605")["features"] == []


def test_classes_split_the_non_zero_values_by_quantiles():
    assert selectors.classes([]) == [1]
    assert selectors.classes([0, 0, 3]) == [1, 2, 3]
    assert selectors.classes([40, 80, 85, 90, 95, 0]) == [1, 80, 85, 90, 95]
    bounds = selectors.classes(list(range(1, 101)))
    assert bounds[0] == 1 and len(bounds) == 5 and bounds == sorted(bounds)
