"""The Content-Security-Policy header (django-csp) and the templates it relies on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from civicgrid.core.csp import policy, tile_sources

SRC = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("url", "sources"),
    [
        ("", []),
        ("/tiles/{z}/{x}/{y}.png", []),
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://*.tile.openstreetmap.org"]),
        ("https://tiles.example.cn:8443/osm/{z}/{x}/{y}.png", ["https://tiles.example.cn:8443"]),
        ("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&TILECOL={x}", ["https://*.tianditu.gov.cn"]),
        ("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", ["https://*.is.autonavi.com"]),
    ],
)
def test_the_tile_server_is_the_only_other_image_source(url, sources):
    assert tile_sources(url) == sources
    assert policy(tile_url=url)["DIRECTIVES"]["img-src"] == ["'self'", "blob:", *sources]


@pytest.mark.django_db
def test_every_page_carries_the_policy(client, world):
    for url in ("/", "/accounts/login/", "/reports/", "/admin/login/"):
        header = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in header.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert "unsafe" not in header


# What the policy refuses: an inline <script>, an event handler attribute, a javascript: URL, a style attribute.
FORBIDDEN = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")|\son[a-z]+=|javascript:|\sstyle="
)


def test_no_template_needs_what_the_policy_refuses():
    found = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path in SRC.rglob("templates/**/*.html")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert found == []
