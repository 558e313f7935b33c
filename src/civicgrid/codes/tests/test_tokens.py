"""Forged, altered, revoked and unknown tokens are refused with a clear page and a log line."""

from __future__ import annotations

import logging

import pytest

from civicgrid.codes import services
from civicgrid.codes.models import Code
from civicgrid.core import tokens

pytestmark = pytest.mark.django_db


def _refused(client, caplog, path: str, status: int, reason: str):
    with caplog.at_level(logging.WARNING, logger="civicgrid.codes"):
        response = client.get(path)
    assert response.status_code == status
    body = response.content.decode()
    assert 'id="refused"' in body and f'data-reason="{reason}"' in body
    assert any(r.name == "civicgrid.codes" and f"reason={reason}" in r.getMessage() for r in caplog.records)
    return body


def test_genuine_token_opens_the_page(client, codes):
    assert codes.place.url.endswith("/c/" + codes.place.token)
    response = client.get(codes.place.path)
    assert response.status_code == 200
    assert "青春山路雨水井盖" in response.content.decode()


def test_forged_token_is_refused(client, codes, caplog):
    forged = tokens.sign("code", codes.place.payload).rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAA"
    body = _refused(client, caplog, "/c/" + forged, 400, "forged")
    assert "二维码无效或已被篡改" in body and "altered" in body


def test_altered_payload_is_refused(client, codes, caplog):
    kid, payload, mac = codes.place.token.split(".")
    altered = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    _refused(client, caplog, f"/c/{kid}.{altered}.{mac}", 400, "forged")


def test_token_for_another_purpose_is_refused(client, codes, caplog):
    _refused(client, caplog, "/c/" + tokens.sign("voucher", codes.place.payload), 400, "forged")


def test_malformed_token_is_refused(client, db, caplog):
    _refused(client, caplog, "/c/not-a-token", 400, "forged")


def test_unknown_but_genuine_token_is_refused(client, codes, caplog):
    body = _refused(client, caplog, "/c/" + tokens.sign("code", tokens.new_payload()), 404, "unknown")
    assert "No object belongs to this code" in body


def test_revoked_token_is_refused(client, codes, caplog):
    services.code_revoke(code=codes.place, actor=None)
    body = _refused(client, caplog, codes.place.path, 410, "revoked")
    assert "已作废" in body and "revoked" in body


def test_actions_of_a_revoked_code_are_refused(client, codes, caplog, world):
    services.code_revoke(code=codes.merchant, actor=None)
    client.force_login(world.inspector)
    _refused(client, caplog, f"{codes.merchant.path}/a/inspect/", 410, "revoked")


def test_reissue_revokes_the_old_code_and_opens_the_same_entity(client, codes, caplog):
    new = services.code_reissue(code=codes.merchant, actor=None)
    old = Code.objects.get(pk=codes.merchant.pk)
    assert old.status == "revoked" and old.revoked_at is not None
    assert (
        new.merchant_id == old.merchant_id and new.payload != old.payload and new.reissued_from_id == old.pk
    )
    assert client.get(new.path).status_code == 200
    _refused(client, caplog, old.path, 410, "revoked")


def test_tokens_of_a_retired_key_still_verify_while_configured(client, codes, settings):
    settings.CIVICGRID_TOKEN_KEYS = "k1:first-secret,k2:second-secret"
    settings.CIVICGRID_TOKEN_KEY_ID = "k1"
    code = services.code_issue(entity=codes.ebike.ebike, kind="ebike")
    assert code.kid == "k1"
    path = code.path
    settings.CIVICGRID_TOKEN_KEY_ID = "k2"
    assert client.get(path).status_code == 200  # old stickers keep working after rotation
    assert services.code_issue(entity=codes.ebike.ebike, kind="ebike").token.startswith("k2.")
    settings.CIVICGRID_TOKEN_KEYS = "k2:second-secret"  # the old key withdrawn: its codes die
    assert client.get(path).status_code == 400
    assert code.token == ""  # nothing to print any more: re-issue
