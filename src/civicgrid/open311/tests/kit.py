"""The Open311 test city for the conformance suite: the test world's categories and routing, a
definition with an attribute of each of the six datatypes on 06010 (暴露垃圾), and a FixMyStreet-like
platform client holding scope open311."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import jsonschema
from django.test import Client

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.accounts.models import ApiClient, User
from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case
from civicgrid.cases.tests.helpers import NORTH_1, run_to, submit
from civicgrid.open311.models import Open311Attribute

BASE = "/open311/v2"
SCHEMAS = Path(__file__).parent / "schemas"
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"

ATTRIBUTES = [
    # code, datatype, required, description, values
    ("bin_count", "number", True, "有几处垃圾堆？", []),
    ("seen_at", "datetime", False, "发现时间", []),
    ("plate", "string", False, "车牌（如有）", []),
    ("detail", "text", False, "补充说明", []),
    ("kind", "singlevaluelist", True, "垃圾类型", [("household", "生活垃圾"), ("construction", "建筑垃圾")]),
    ("smell", "multivaluelist", False, "伴随问题", [("odour", "异味"), ("flies", "蚊蝇"), ("leak", "渗漏")]),
]


@dataclass
class Open311World:
    world: object
    categories: dict
    client: ApiClient
    key: str
    http: Client

    def report(self, code: str = "06010", point=NORTH_1, status: str = "registered", **fields) -> Case:
        """A citizen's report taken to `status` (registered: the public see it)."""
        case = submit(self.world.citizen, point, category=self.categories[code], **fields)
        return run_to(case, status, self.world) if status != "reported" else case


def build(routed_world, categories) -> Open311World:
    """Tests ask for `routed_world` and `categories` (the project's fixtures) and call this."""
    for order, (code, datatype, required, description, values) in enumerate(ATTRIBUTES, start=1):
        Open311Attribute.objects.create(
            category=categories["06010"],
            code=code,
            datatype=datatype,
            required=required,
            order=order,
            description=description,
            values=[{"key": k, "name": n} for k, n in values],
        )
    account = User.objects.create_user(phone="13900000311", role=Role.CITIZEN, real_name="FixMyStreet 平台")
    client = api_client_create(name="FixMyStreet", user=account, scopes=["open311"], kind="platform")
    _key, raw = api_key_issue(client=client)
    return Open311World(routed_world, categories, client, raw, Client())


def get(http: Client, path: str, **params):
    return http.get(BASE + path, params)


def get_json(http: Client, path: str, **params):
    response = get(http, path, **params)
    assert response["Content-Type"] == JSON_TYPE, response.content
    return response.status_code, json.loads(response.content)


def get_xml(http: Client, path: str, **params):
    response = get(http, path, **params)
    assert response["Content-Type"] == XML_TYPE, response.content
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return response.status_code, ET.fromstring(response.content)


def validate(name: str, value) -> None:
    """Against the schema kept in tests/schemas/ (written from the spec's field tables)."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    jsonschema.validate(value, schema, format_checker=jsonschema.FormatChecker())


def fms_post(o: Open311World, *, fmt: str = "xml", headers: dict | None = None, **fields):
    """A POST as FixMyStreet sends it: form-urlencoded, jurisdiction_id always, attribute[...] extras."""
    body = {
        "api_key": o.key,
        "jurisdiction_id": "kangbashi.example.cn",
        "service_code": "06010",
        "lat": str(NORTH_1[0]),
        "long": str(NORTH_1[1]),
        "description": "小区门口堆放大量生活垃圾，已有三天无人清运",
        "first_name": "芳",
        "last_name": "王",
        "email": "wangfang@example.cn",
        "phone": "13812345678",
        "attribute[bin_count]": "2",
        "attribute[kind]": "household",
        "attribute[fixmystreet_id]": "4711",
        "attribute[closest_address]": "青春山街道北苑社区",
        "deviceid": "fms-web",
    }
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    return o.http.post(f"{BASE}/requests.{fmt}", body, headers=headers or {})


def error_of(response) -> tuple[int, str]:
    """The (code, description) of the first error, from either format."""
    if response["Content-Type"] == JSON_TYPE:
        first = json.loads(response.content)[0]
        return first["code"], first["description"]
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    error = root.find("error")
    return int(error.findtext("code")), error.findtext("description")
