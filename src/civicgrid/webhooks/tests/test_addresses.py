"""Which receiver addresses a subscription may use: https; http and private addresses only where allowed."""

from __future__ import annotations

import pytest

from civicgrid.core.errors import DomainError
from civicgrid.webhooks.services import address_refusal, url_check


@pytest.mark.parametrize(
    "url,code",
    [
        ("ftp://example.org/x", "url_invalid"),
        ("https://user:pw@example.org/x", "url_invalid"),
        ("http://example.org/hook", "url_https_required"),
        ("http://127.0.0.1:8080/hook", "url_not_allowed"),
        ("https://localhost/hook", "url_not_allowed"),
        ("https://10.1.2.3/hook", "url_not_allowed"),
        ("https://[::1]/hook", "url_not_allowed"),
        ("https://169.254.169.254/latest", "url_not_allowed"),
    ],
)
def test_refused_in_production(settings, url, code):
    settings.DEBUG, settings.CIVICGRID_WEBHOOK_ALLOW_HTTP = False, False
    with pytest.raises(DomainError) as refused:
        url_check(url)
    assert refused.value.code == code and refused.value.field == "url"


def test_https_to_a_public_name_is_accepted(settings):
    settings.DEBUG, settings.CIVICGRID_WEBHOOK_ALLOW_HTTP = False, False
    assert url_check(" https://hooks.example.org/civicgrid ") == "https://hooks.example.org/civicgrid"


def test_an_intranet_install_may_use_http_to_private_addresses(settings):
    settings.DEBUG, settings.CIVICGRID_WEBHOOK_ALLOW_HTTP = False, True
    assert url_check("http://10.1.2.3:8080/hook") == "http://10.1.2.3:8080/hook"
    assert url_check("http://szk.intranet/hook") == "http://szk.intranet/hook"  # checked when sent
    with pytest.raises(DomainError):
        url_check("http://8.8.8.8/hook")


def test_when_sent_http_goes_only_to_a_private_address(settings):
    settings.DEBUG, settings.CIVICGRID_WEBHOOK_ALLOW_HTTP = False, True
    assert address_refusal("http://127.0.0.1:9/hook") is None
    assert "plain http" in address_refusal("http://8.8.8.8/hook")
    settings.CIVICGRID_WEBHOOK_ALLOW_HTTP = False
    assert "local or private" in address_refusal("https://127.0.0.1/hook")
