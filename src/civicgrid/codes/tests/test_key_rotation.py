"""Printed codes outlive a rotation of SECRET_KEY (their key is CIVICGRID_TOKEN_KEYS) and of their own key."""

from __future__ import annotations

import pytest

from civicgrid.codes import services

pytestmark = pytest.mark.django_db

OLD_SECRET = "old-secret-key-" + "x" * 40
NEW_SECRET = "new-secret-key-" + "y" * 40


@pytest.fixture
def token_keys(settings):
    settings.SECRET_KEY = OLD_SECRET
    settings.CIVICGRID_TOKEN_KEYS = "k1:printed-codes-key-" + "z" * 30
    settings.CIVICGRID_TOKEN_KEY_ID = "k1"
    return settings


def test_a_printed_code_still_opens_after_secret_key_is_rotated(token_keys, codes, client):
    printed = codes.place.path  # what the sticker on the manhole cover says
    token_keys.SECRET_KEY = NEW_SECRET
    token_keys.SECRET_KEY_FALLBACKS = []  # even once the old key has been dropped altogether
    response = client.get(printed)
    assert response.status_code == 200
    assert "青春山路雨水井盖" in response.content.decode()


def test_a_printed_code_still_opens_after_its_own_key_is_rotated(token_keys, codes, client, world):
    printed = codes.place.path
    token_keys.CIVICGRID_TOKEN_KEYS += ",k2:next-codes-key-" + "w" * 30
    token_keys.CIVICGRID_TOKEN_KEY_ID = "k2"
    assert client.get(printed).status_code == 200
    new = services.code_reissue(code=codes.merchant, actor=None)
    assert new.kid == "k2" and new.token.startswith("k2.")
    assert client.get(new.path).status_code == 200


def test_without_a_key_of_their_own_codes_die_with_secret_key(settings, codes, client):
    # Why production refuses an empty CIVICGRID_TOKEN_KEYS (civicgrid.E003): the derived key goes
    # with SECRET_KEY, and every printed code with it.
    settings.CIVICGRID_TOKEN_KEYS = ""
    printed = codes.place.path
    settings.SECRET_KEY = NEW_SECRET
    settings.SECRET_KEY_FALLBACKS = [OLD_SECRET]
    assert client.get(printed).status_code == 400
