"""The account an API client acts as: its role follows the client's kind, and it never signs in to pages."""

from __future__ import annotations

import re

import pytest

from civicgrid.accounts.clients import api_client_register
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import login_code_send, login_code_verify
from civicgrid.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        ("department", Role.HANDLER),
        ("hotline", Role.DISPATCHER),
        ("platform", Role.LEADER),
        ("civic", Role.CITIZEN),
    ],
)
def test_the_accounts_role_follows_the_kind(world, kind, role):
    department = world.departments["ZJJ"] if kind == "department" else None
    client = api_client_register(
        actor=world.admin, name=f"{kind} 系统", kind=kind, department=department, scopes=["cases:read"]
    )
    account = client.user
    assert account.role == role
    assert account.department == (department if role == Role.HANDLER else None)
    assert not account.has_usable_password() and not account.is_staff


def test_the_account_cannot_sign_in_with_an_sms_code(world, sms):
    account = api_client_register(actor=world.admin, name="热线", kind="hotline", scopes=["cases:read"]).user
    login_code_send(phone=account.phone)
    code = re.search(r"\d{6}", sms.last_text_to(account.phone)).group(0)
    with pytest.raises(DomainError) as refused:
        login_code_verify(phone=account.phone, code=code)
    assert refused.value.code == "account_api_only"


def test_a_password_sign_in_is_refused(client, world):
    account = api_client_register(actor=world.admin, name="热线", kind="hotline", scopes=["cases:read"]).user
    assert not client.login(username=account.phone, password="")
    assert not client.login(username=account.phone, password="!")
