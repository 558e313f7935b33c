"""Our signer against the reference implementation of Standard Webhooks (PyPI standardwebhooks)."""

from __future__ import annotations

import base64

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from civicgrid.webhooks import signing


def test_a_secret_is_whsec_and_24_to_64_random_bytes():
    secret = signing.secret_generate()
    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret[6:])) <= 64
    assert secret != signing.secret_generate()


def test_the_reference_implementation_verifies_our_signature():
    import time

    secret, body = signing.secret_generate(), '{"type":"case.closed","data":{"x":"北苑"}}'
    now = int(time.time())
    headers = signing.headers([secret], "msg_1", now, body)
    assert Webhook(secret).verify(body, headers) == {"type": "case.closed", "data": {"x": "北苑"}}
    # And it is the reference's own signature, byte for byte.
    assert headers["webhook-signature"] == Webhook(secret).sign("msg_1", _at(now), body)


def test_a_tampered_body_or_another_secret_fails():
    import time

    secret, body = signing.secret_generate(), '{"a":1}'
    headers = signing.headers([secret], "msg_2", int(time.time()), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify('{"a":2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.secret_generate()).verify(body, headers)


def test_during_a_rotation_both_secrets_verify():
    import time

    old, new, body = signing.secret_generate(), signing.secret_generate(), "{}"
    headers = signing.headers([new, old], "msg_3", int(time.time()), body)
    assert len(headers["webhook-signature"].split()) == 2
    Webhook(new).verify(body, headers)
    Webhook(old).verify(body, headers)


def _at(ts: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC)
