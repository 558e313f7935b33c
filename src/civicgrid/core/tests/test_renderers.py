"""An answer an endpoint renders itself (core.renderers.json_response) is byte for byte what the API renders."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.test import RequestFactory

from civicgrid.api import api
from civicgrid.core.renderers import json_response


def test_json_response_is_what_the_api_renders():
    request = RequestFactory().post("/api/cases")
    data = {
        "number": "2026112400001",
        "category_name": "道路破损",
        "lat": Decimal("39.6012345"),
        "created_at": datetime(2026, 11, 24, 8, 30, tzinfo=UTC),
        "photos": [],
        "note": None,
    }
    ours = json_response(request, data, status=201)
    theirs = api.create_response(request, data, status=201)
    assert ours.status_code == theirs.status_code == 201
    assert ours["Content-Type"] == theirs["Content-Type"]
    assert ours.content == theirs.content
    assert "道路破损" in ours.content.decode()  # Chinese as text, not \uXXXX escapes
