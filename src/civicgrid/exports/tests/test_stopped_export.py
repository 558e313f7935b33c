"""An export stopped part-way (a client gone) is recorded once, with the rows that went out."""

from __future__ import annotations

import pytest

from civicgrid.audit.models import AccessEvent, AccessKind
from civicgrid.exports.services import CaseExport, export_query

pytestmark = pytest.mark.django_db


def test_a_stopped_export_is_recorded_as_incomplete(routed_world, reported):
    query = export_query(since="2026-11-01", until="2026-12-31")
    export = CaseExport(viewer=routed_world.dispatcher, query=query, fmt="geojson", via="api")
    stream = iter(export)
    next(stream)  # the collection's opening only
    stream.close()
    event = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert event.detail["filters"]["complete"] is False and event.detail["rows"] <= 4
    assert event.actor == routed_world.dispatcher and event.detail["personal_data"] is True


def test_a_finished_export_is_recorded_once(routed_world, reported):
    query = export_query(since="2026-11-01", until="2026-12-31")
    export = CaseExport(viewer=None, query=query, fmt="csv", via="command")
    data = b"".join(export)
    export.record(complete=True)  # a second call changes nothing
    assert data.count(b"\r\n") == 5  # the header and four cases
    event = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert event.detail["filters"]["complete"] is True and event.detail["rows"] == 4
