"""The console's case page shows staff what an Open311 request brought: the client, its own id, the
attribute answers by their question, and the media_url as a link (never fetched)."""

from __future__ import annotations

import pytest

from civicgrid.cases.models import Case
from civicgrid.open311.tests.kit import build, fms_post


@pytest.mark.django_db
def test_staff_see_the_open311_request_on_the_case_page(routed_world, categories):
    o = build(routed_world, categories)
    response = fms_post(o, fmt="json", media_url="https://fms.example.org/photo/4711.jpeg")
    number = response.json()[0]["service_request_id"]
    staff = o.http
    staff.force_login(o.world.dispatcher)
    page = staff.get(f"/console/cases/{number}/").content.decode()
    assert 'id="open311"' in page
    assert "FixMyStreet" in page and "4711" in page
    assert "有几处垃圾堆？" in page  # the question, with its answer
    assert 'href="https://fms.example.org/photo/4711.jpeg"' in page
    assert 'rel="noopener noreferrer nofollow"' in page


@pytest.mark.django_db
def test_other_cases_have_no_open311_section(routed_world, categories):
    o = build(routed_world, categories)
    case = o.report("06013")
    assert Case.objects.get(pk=case.pk).channel == "app"
    o.http.force_login(o.world.dispatcher)
    page = o.http.get(f"/console/cases/{case.number}/").content.decode()
    assert 'id="open311"' not in page
