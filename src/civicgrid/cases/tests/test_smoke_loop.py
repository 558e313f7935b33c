import json

import pytest


def post(client, url, data, **headers):
    return client.post(url, data=json.dumps(data), content_type="application/json", **headers)


@pytest.mark.django_db
def test_whole_loop(client, routed_world, categories):
    w = routed_world
    client.force_login(w.citizen)
    r = post(client, "/api/cases", {"description": "路面坑洞", "lat": 39.615, "lon": 109.765, "category": "06013"})
    assert r.status_code == 201, r.content
    body = r.json()
    number = body["number"]
    assert body["status"] == "reported"
    print(body)
    client.force_login(w.dispatcher)
    r = post(client, f"/api/cases/{number}/actions/register", {})
    assert r.status_code == 200, r.content
    assert r.json()["routed_department"] == "ZJJ-SZ"
    r = post(client, f"/api/cases/{number}/actions/dispatch", {})
    assert r.status_code == 200, r.content
    client.force_login(w.roads_handler)
    assert post(client, f"/api/cases/{number}/actions/accept", {}).status_code == 200
    r = post(client, f"/api/cases/{number}/actions/feedback", {"note": "已修复"})
    assert r.status_code == 200, r.content
    client.force_login(w.dispatcher)
    assert post(client, f"/api/cases/{number}/actions/verify", {}).status_code == 200
    r = post(client, f"/api/cases/{number}/actions/close", {})
    assert r.json()["status"] == "closed"
    client.force_login(w.citizen)
    r = post(client, f"/api/cases/{number}/actions/rate", {"rating": "satisfied"})
    assert r.status_code == 200, r.content
    print([e["action"] for e in r.json()["events"]])
    r = client.get(f"/api/public/cases/{number}")
    assert r.status_code == 200
    print(r.json())
    client.force_login(w.leader)
    r = client.get("/api/cases/indicators?group=department&start=2020-01-01&end=2030-01-01")
    print(r.json())
