"""tokens/{token}.{fmt}: every POSTed request has a token that gives its service_request_id."""

from __future__ import annotations

import pytest

from civicgrid.open311.models import Open311Request
from civicgrid.open311.tests.kit import build, error_of, fms_post, get, get_json, get_xml, validate


@pytest.mark.django_db
def test_a_token_gives_the_request_id_in_both_formats(routed_world, categories):
    o = build(routed_world, categories)
    number = fms_post(o, fmt="json").json()[0]["service_request_id"]
    token = Open311Request.objects.get(case__number=number).token
    status, body = get_json(o.http, f"/tokens/{token}.json")
    assert status == 200
    validate("tokens", body)
    assert body == [{"service_request_id": number, "token": token}]
    status, root = get_xml(o.http, f"/tokens/{token}.xml")
    assert status == 200 and root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == number
    assert root.findtext("request/token") == token


@pytest.mark.django_db
def test_each_request_has_its_own_token(routed_world, categories):
    o = build(routed_world, categories)
    fms_post(o)
    fms_post(o, lat="39.605", long="109.765", **{"attribute[fixmystreet_id]": "4712"})
    tokens = list(Open311Request.objects.values_list("token", flat=True))
    assert len(set(tokens)) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_token_is_404(routed_world, categories, fmt):
    o = build(routed_world, categories)
    response = get(o.http, f"/tokens/no-such-token.{fmt}")
    assert response.status_code == 404
    assert error_of(response)[0] == 404
