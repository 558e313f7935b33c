"""The /map/ page as served: the layer control offers what the viewer may load; home and console link to it."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db


def config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="citymap-config" type="application/json">') + len(
        '<script id="citymap-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_visitors_get_the_public_layers_and_staff_every_layer(client, world):
    r = client.get("/map/")
    assert r.status_code == 200
    offered = {layer["id"] for layer in config(r)["layers"]}
    assert offered == {"boundaries", "cases", "duplicates", "places", "merchants", "volunteers"}
    assert 'data-layer="cell_density"' not in r.content.decode()
    cfg = config(r)
    assert cfg["bounds"] == [[39.60, 109.76], [39.62, 109.79]]  # the district, fitted at start
    assert cfg["enabled"] == ["boundaries", "cases"]

    client.force_login(world.leader)
    r = client.get("/map/")
    assert {layer["id"] for layer in config(r)["layers"]} == {
        "boundaries",
        "cell_density",
        "cell_overdue",
        "cases",
        "duplicates",
        "hotspots",
        "places",
        "merchants",
        "stalls",
        "volunteers",
    }
    assert re.search(r'data-layer="cell_density"\s+checked', r.content.decode())
    assert not re.search(r'data-layer="cell_overdue"\s+checked', r.content.decode())


def test_the_page_speaks_english(client, world):
    client.cookies["django_language"] = "en"
    r = client.get("/map/", HTTP_ACCEPT_LANGUAGE="en")
    html = r.content.decode()
    assert "Layers" in html and "Last 7 days" in html
    assert {layer["name"] for layer in config(r)["layers"]} >= {
        "Cases by status",
        "Street and community boundaries",
    }


def test_home_and_console_link_to_the_map(client, world):
    assert 'href="/map/"' in client.get("/").content.decode()
    client.force_login(world.dispatcher)
    assert 'href="/map/"' in client.get("/console/", follow=True).content.decode()
