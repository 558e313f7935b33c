"""Property-based fuzzing of the REST API against its own published OpenAPI document (schemathesis).

For every operation in /api/openapi.json, schemathesis generates requests from the schema (valid and
invalid) and sends them in-process to the WSGI application, authenticated with a bearer token of the
test city's administrator. Every answer must be no server error (no 5xx), carry a status the
operation declares, and a body of the declared schema (the error body for refusals).

The budget is small so that it runs in every `pytest src`: CIVICGRID_FUZZ_EXAMPLES examples per
operation (default 15), derandomized so that a run is repeatable; for a deeper search raise it and
let each run draw new inputs: `CIVICGRID_FUZZ_EXAMPLES=300 CIVICGRID_FUZZ_RANDOM=1 pytest -m fuzz src`.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, assume, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from civicgrid.accounts.clients import api_personal_key_issue
from civicgrid.testing import load_test_routing

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("CIVICGRID_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def fuzz_city(world, categories):
    """The test city with its categories and routing; the administrator's bearer token (the widest access)."""
    load_test_routing(world, categories)
    _, raw = api_personal_key_issue(user=world.admin, name="fuzz", rate_limit_per_minute=1_000_000)
    return raw


PAGING = ("offset", "limit", "page", "page_size")


def _known_elsewhere(case) -> bool:
    """Inputs of known 500s that are being fixed separately; each is left out as narrowly as it can be,
    to be let in again once its fix is merged."""
    # Negative and huge offset/page values (`/api/codes?offset=-4991` → "Negative indexing is not
    # supported"; an integer too large for the database): the paging bounds fix.
    for name, value in (case.query or {}).items():
        if name in PAGING and isinstance(value, int) and not 0 <= value <= 2**31:
            return True
    # A CSV that is not UTF-8 (`POST /api/codes/import` with a PNG → UnicodeDecodeError): the CSV
    # encoding fix.
    if case.path == "/api/codes/import" and isinstance(case.body, dict):
        upload = getattr(case.body.get("file"), "data", case.body.get("file"))  # schemathesis' Binary
        if isinstance(upload, bytes):
            try:
                upload.decode("utf-8")
            except UnicodeDecodeError:
                return True
    return False


@pytest.fixture(autouse=True)
def _connection_kept_between_requests():
    # The WSGI handler closes the database connection after each request, as a server must; in a
    # test that would end the test's transaction. Django's test client does the same as this.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The document the server publishes, read through the WSGI application at collection (it reads no
# database). schemathesis.pytest.from_fixture would read it per test, but fails on pytest 9
# (it reads a private `Node._nodeid`).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CIVICGRID_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_request_as_its_schema_says(case, fuzz_city):
    assume(not _known_elsewhere(case))
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_city}"}, checks=CHECKS)
