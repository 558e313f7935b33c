"""Signed tokens: genuine ones verify, forged/altered/foreign ones never do, keys rotate."""

import pytest

from civicgrid.core import tokens


def test_a_signed_token_verifies_for_its_purpose_only():
    payload = tokens.new_payload()
    token = tokens.sign("code", payload)
    assert tokens.verify("code", token)[1] == payload
    with pytest.raises(tokens.InvalidToken):
        tokens.verify("voucher", token)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # altered MAC
        lambda t: t.split(".")[0] + "." + tokens.new_payload() + "." + t.split(".")[2],  # swapped payload
        lambda t: "k9." + t.split(".", 1)[1],  # unknown key id
        lambda t: t.replace(".", ""),  # malformed
        lambda t: "",
        lambda t: t + ".extra",
    ],
)
def test_forged_or_altered_tokens_are_refused(mangle):
    token = tokens.sign("code", tokens.new_payload())
    with pytest.raises(tokens.InvalidToken) as err:
        tokens.verify("code", mangle(token))
    assert err.value.code == "token_invalid" and err.value.message_en


def test_keys_rotate_old_tokens_keep_verifying(settings):
    settings.CIVICGRID_TOKEN_KEYS = "k1:first-secret"
    settings.CIVICGRID_TOKEN_KEY_ID = "k1"
    old = tokens.sign("code", "abc123")
    settings.CIVICGRID_TOKEN_KEYS = "k1:first-secret,k2:second-secret"
    settings.CIVICGRID_TOKEN_KEY_ID = "k2"
    new = tokens.sign("code", "abc123")
    assert new.startswith("k2.") and old.startswith("k1.")
    assert tokens.verify("code", old) == ("k1", "abc123")
    assert tokens.verify("code", new) == ("k2", "abc123")
    settings.CIVICGRID_TOKEN_KEYS = "k2:second-secret"  # k1 retired: its tokens stop working
    with pytest.raises(tokens.InvalidToken):
        tokens.verify("code", old)
