"""POST requests.{fmt}: a FixMyStreet-shaped form becomes a case through the intake (channel open311,
reported by the client's account), with its token, attribute answers and media_url link kept beside it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from civicgrid.accounts.clients import api_client_create, api_key_issue, api_key_revoke
from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case
from civicgrid.open311.models import Open311Request
from civicgrid.open311.tests.kit import BASE, build, error_of, fms_post, validate


@pytest.mark.django_db
def test_a_fixmystreet_post_in_xml_becomes_a_case(routed_world, categories):
    o = build(routed_world, categories)
    response = fms_post(o, **{"attribute[smell][]": ["odour", "flies"]})
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    case = Case.objects.get(number=number)
    assert case.channel == "open311"
    assert case.reporter == o.client.user
    assert case.category == categories["06010"]
    assert case.description == "小区门口堆放大量生活垃圾，已有三天无人清运"
    assert (case.contact_name, case.contact_phone) == ("王 芳", "13812345678")
    assert case.source_ref == "4711"
    record = Open311Request.objects.get(case=case)
    assert record.client == o.client and record.client_request_id == "4711"
    assert record.device_id == "fms-web"  # `deviceid` (sic), as FixMyStreet spells it
    assert record.attributes["bin_count"] == "2"
    assert record.attributes["kind"] == "household"
    assert record.attributes["smell"] == ["odour", "flies"]
    assert record.attributes["closest_address"] == "青春山街道北苑社区"  # a client's extra, kept as sent
    assert len(record.token) >= 20


@pytest.mark.django_db
def test_a_post_in_json(routed_world, categories):
    o = build(routed_world, categories)
    response = fms_post(o, fmt="json")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    validate("request_created", body)
    assert Case.objects.filter(number=body[0]["service_request_id"]).exists()


@pytest.mark.django_db
def test_the_call_log_sees_the_client(routed_world, categories, monkeypatch):
    o = build(routed_world, categories)
    seen = {}
    from civicgrid.open311 import views

    real = views.open311_request_submit

    def spy(**kwargs):
        seen["client"] = kwargs["client"]
        return real(**kwargs)

    monkeypatch.setattr(views, "open311_request_submit", spy)
    response = fms_post(o)
    assert response.status_code == 201
    assert response.wsgi_request.api_client == o.client
    assert seen["client"] == o.client


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "retry-key-123"])
def test_a_retry_returns_the_same_request(routed_world, categories, header):
    o = build(routed_world, categories)
    fields = {"attribute[fixmystreet_id]": None, "client_request_id": None}
    if header is None:
        fields["client_request_id"] = "fms-9001"
    first = fms_post(o, fmt="json", headers={"Idempotency-Key": header} if header else None, **fields)
    again = fms_post(o, fmt="json", headers={"Idempotency-Key": header} if header else None, **fields)
    assert first.status_code == 201 and again.status_code == 200, again.content
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Open311Request.objects.count() == 1


@pytest.mark.django_db
def test_the_same_id_from_two_clients_is_two_requests(routed_world, categories):
    o = build(routed_world, categories)
    first = fms_post(o, fmt="json").json()[0]["service_request_id"]
    account = User.objects.create_user(phone="13900000312", role=Role.CITIZEN, real_name="另一平台")
    other = api_client_create(name="另一平台", user=account, scopes=["open311"], kind="platform")
    _key, raw = api_key_issue(client=other)
    # Another place, so the intake does not merge it as a duplicate.
    second = fms_post(o, fmt="json", api_key=raw, lat="39.605", long="109.765").json()[0][
        "service_request_id"
    ]
    assert first != second


@pytest.mark.django_db
def test_a_reused_id_with_another_report_is_400(routed_world, categories):
    o = build(routed_world, categories)
    assert fms_post(o).status_code == 201
    response = fms_post(o, description="另一件完全不同的事情")
    assert response.status_code == 400
    assert "4711" in error_of(response)[1]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_keys(routed_world, categories, fmt):
    o = build(routed_world, categories)
    assert fms_post(o, fmt=fmt, api_key=None).status_code == 403
    assert fms_post(o, fmt=fmt, api_key="cgk_not-a-key").status_code == 403
    account = User.objects.create_user(phone="13900000313", role=Role.CITIZEN, real_name="只读平台")
    reader = api_client_create(name="只读平台", user=account, scopes=["cases:read"], kind="platform")
    _key, raw = api_key_issue(client=reader)
    response = fms_post(o, fmt=fmt, api_key=raw)
    assert response.status_code == 403
    code, description = error_of(response)
    assert code == 403 and "open311" in description
    key = o.client.keys.get()
    api_key_revoke(key=key)
    assert fms_post(o, fmt=fmt).status_code == 403
    assert Case.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "status", "named"),
    [
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "99999"}, 404, "99999"),
        ({"lat": None, "long": None}, 400, "lat"),
        ({"lat": "north", "long": "109.765"}, 400, "lat"),
        ({"attribute[kind]": None}, 400, "attribute[kind]"),
        ({"attribute[bin_count]": "many"}, 400, "bin_count"),
        ({"attribute[kind]": "chemical"}, 400, "chemical"),
        ({"attribute[smell][]": ["odour", "noise"]}, 400, "noise"),
        ({"attribute[kind][]": ["household", "construction"]}, 400, "kind"),
        ({"attribute[seen_at]": "2026-03-01 08:00"}, 400, "seen_at"),
        ({"media_url": "not a url"}, 400, "media_url"),
        ({"lat": "39.50", "long": "109.70"}, 400, ""),  # outside the city: the intake refuses it
    ],
)
def test_bad_posts_change_nothing(routed_world, categories, fields, status, named):
    o = build(routed_world, categories)
    response = fms_post(o, fmt="json", **fields)
    assert response.status_code == status, response.content
    code, description = error_of(response)
    assert code == status and named in description and " / " in description
    validate("errors", response.json())
    assert Case.objects.count() == 0 and Open311Request.objects.count() == 0


@pytest.mark.django_db
def test_lenient_where_clients_differ(routed_world, categories):
    o = build(routed_world, categories)
    response = fms_post(
        o,
        fmt="json",
        email=None,  # never required
        jurisdiction_id="",
        description=None,  # optional: the service's name stands in
        unknown_field="ignored",
        **{"attribute[seen_at]": "2026-03-01T08:00:00+08:00", "attribute[plate]": "蒙K12345"},
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert case.description == "暴露垃圾"


@pytest.mark.django_db
def test_media_url_is_kept_as_a_link_and_never_fetched(routed_world, categories, monkeypatch):
    import urllib.request

    def no_fetch(*args, **kwargs):
        raise AssertionError("the server fetched a URL")

    monkeypatch.setattr(urllib.request, "urlopen", no_fetch)
    o = build(routed_world, categories)
    response = fms_post(o, fmt="json", media_url="http://10.0.0.1/admin/photo.jpg")
    assert response.status_code == 201
    record = Open311Request.objects.get()
    assert record.media_url == "http://10.0.0.1/admin/photo.jpg"
    assert record.case.photos.count() == 0
    # Not shown to the public.
    number = response.json()[0]["service_request_id"]
    from civicgrid.cases.tests.helpers import run_to

    run_to(record.case, "registered", o.world)
    assert "10.0.0.1" not in o.http.get(f"{BASE}/requests/{number}.json").content.decode()


@pytest.mark.django_db
def test_address_string_is_located_through_the_gazetteer(routed_world, categories):
    from civicgrid.gazetteer.models import Place

    o = build(routed_world, categories)
    fields = {f.name for f in Place._meta.fields}
    values = {
        "name": "北苑社区服务中心",
        "kind": "poi",
        "lat": 39.6155,
        "lon": 109.7655,
        "address": "北苑路 1 号",
    }
    Place.objects.create(**{k: v for k, v in values.items() if k in fields})
    response = fms_post(o, fmt="json", lat=None, long=None, address_string="北苑社区服务中心")
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert (round(case.lat, 4), round(case.lon, 4)) == (39.6155, 109.7655)
    unknown = fms_post(o, fmt="json", lat=None, long=None, address_string="不存在的地方 99 号")
    assert unknown.status_code == 400
    assert "lat" in error_of(unknown)[1]


@pytest.mark.django_db
def test_a_duplicate_is_merged_and_told(routed_world, categories):
    o = build(routed_world, categories)
    first = fms_post(o, fmt="json").json()[0]["service_request_id"]
    second = fms_post(o, fmt="json", **{"attribute[fixmystreet_id]": "4712"}).json()[0]
    assert second["service_request_id"] != first
    assert first in second["service_notice"]


@pytest.mark.django_db
def test_a_post_needs_no_csrf_token(routed_world, categories):
    from django.test import Client

    o = build(routed_world, categories)
    o.http = Client(enforce_csrf_checks=True)
    assert fms_post(o, fmt="json").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_client_over_its_limit_a_minute_gets_429_with_retry_after(routed_world, categories, fmt):
    o = build(routed_world, categories)
    o.client.rate_limit_per_minute = 1
    o.client.save(update_fields=["rate_limit_per_minute"])
    assert fms_post(o, fmt=fmt).status_code == 201
    refused = fms_post(o, fmt=fmt, **{"attribute[fixmystreet_id]": "4712"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    code, description = error_of(refused)
    assert code == 429 and "too many requests" in description
    assert Case.objects.count() == 1
