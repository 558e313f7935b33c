"""Compact signed tokens for QR codes and vouchers: `<kid>.<payload>.<mac>`, URL-safe.

The payload is a short opaque id (base64url, no padding); the MAC is the first 12 bytes of
HMAC-SHA256 over `purpose|kid|payload` with the key named by `kid`, so that keys can rotate: new
tokens use CIVICGRID_TOKEN_KEY_ID, old ones keep verifying while their key stays configured.
Keys come from CIVICGRID_TOKEN_KEYS ("k1:secret1,k2:secret2"), separate from SECRET_KEY so that
rotating that one leaves printed codes valid; without it (DEBUG on only: core/checks.py) one key
is derived from SECRET_KEY. A token signed for one purpose ("code", "voucher") never verifies for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

from civicgrid.core.errors import DomainError

MAC_BYTES = 12


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keys() -> dict[str, bytes]:
    configured = getattr(settings, "CIVICGRID_TOKEN_KEYS", "")
    if configured:
        out = {}
        for part in configured.split(","):
            kid, _, secret = part.strip().partition(":")
            if kid and secret:
                out[kid] = secret.encode()
        return out
    return {"k1": hashlib.sha256(("civicgrid-token:" + settings.SECRET_KEY).encode()).digest()}


def current_key_id() -> str:
    kid = getattr(settings, "CIVICGRID_TOKEN_KEY_ID", "") or sorted(keys())[-1]
    return kid


def new_payload(nbytes: int = 9) -> str:
    """A fresh random id for a code or voucher (9 bytes → 12 characters)."""
    return _b64(secrets.token_bytes(nbytes))


def _mac(purpose: str, kid: str, payload: str) -> str:
    key = keys()[kid]
    return _b64(hmac.new(key, f"{purpose}|{kid}|{payload}".encode(), hashlib.sha256).digest()[:MAC_BYTES])


def sign(purpose: str, payload: str, *, kid: str | None = None) -> str:
    kid = kid or current_key_id()
    return f"{kid}.{payload}.{_mac(purpose, kid, payload)}"


class InvalidToken(DomainError):
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "token_invalid", "二维码无效或已被篡改", "this code is invalid or has been altered", field="token"
        )


def verify(purpose: str, token: str) -> tuple[str, str]:
    """(kid, payload) of a genuine token; InvalidToken for anything forged, altered or malformed."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not all(parts):
        raise InvalidToken()
    kid, payload, mac = parts
    if kid not in keys() or len(payload) > 64:
        raise InvalidToken()
    try:
        _unb64(payload)
        _unb64(mac)
    except (ValueError, TypeError) as exc:
        raise InvalidToken() from exc
    if not hmac.compare_digest(mac, _mac(purpose, kid, payload)):
        raise InvalidToken()
    return kid, payload
