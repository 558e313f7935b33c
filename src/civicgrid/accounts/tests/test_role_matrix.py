"""Who may do what: the whole Role × Capability table, written out so that a change of rights is deliberate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import (
    ROLE_CAPABILITIES,
    Capability,
    Role,
    capabilities_of,
    roles_grantable_by,
    user_can,
)

CAPABILITIES = [
    "report",
    "report_trusted",
    "verify_on_site",
    "register",
    "dispatch",
    "close",
    "approve_extension",
    "handle",
    "manage_department",
    "inspect",
    "supervise",
    "view_city",
    "view_personal_data",
    "configure",
    "use_vouchers",
    "audit_view",
]

# X = may. Columns in the order of CAPABILITIES above.
#                        rep tru ver reg dis clo ext han man ins sup vie per con vou aud
EXPECTED_TABLE = """
citizen                  X   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
grid_member              X   X   X   .   .   .   .   .   .   .   .   .   .   .   X   .
dispatcher               X   .   .   X   X   X   X   .   .   .   .   X   X   .   .   .
handler                  X   .   .   .   .   .   .   X   .   .   .   .   .   .   .   .
department_admin         X   .   .   .   .   .   .   X   X   .   .   .   .   .   .   .
inspector                X   .   .   .   .   .   .   .   .   X   .   .   .   .   .   .
leader                   X   .   .   .   .   .   .   .   .   .   X   X   .   .   .   .
admin                    X   .   .   X   X   X   X   .   .   .   X   X   X   X   X   X
auditor                  .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   X
"""


def expected() -> dict[str, set[str]]:
    table = {}
    for line in EXPECTED_TABLE.strip().splitlines():
        role, *marks = line.split()
        assert len(marks) == len(CAPABILITIES), line
        table[role] = {cap for cap, mark in zip(CAPABILITIES, marks, strict=True) if mark == "X"}
    return table


def test_the_capability_list_is_complete():
    declared = {v for k, v in vars(Capability).items() if k.isupper()}
    assert declared == set(CAPABILITIES)


def test_every_role_is_in_the_table():
    assert set(expected()) == set(Role.values) == set(ROLE_CAPABILITIES)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("capability", CAPABILITIES)
def test_role_capability_matrix(role, capability):
    user = User(phone="13900000099", role=role, is_active=True)
    assert user_can(user, capability) is (capability in expected()[role])


@pytest.mark.parametrize("role", Role.values)
def test_capabilities_of_is_exactly_the_row(role):
    assert capabilities_of(User(phone="13900000099", role=role)) == expected()[role]


@pytest.mark.parametrize("role", Role.values)
def test_an_inactive_user_may_do_nothing(role):
    user = User(phone="13900000099", role=role, is_active=False, is_superuser=role == Role.ADMIN)
    assert capabilities_of(user) == frozenset()
    assert not any(user_can(user, cap) for cap in CAPABILITIES)


def test_anonymous_and_missing_users_may_do_nothing():
    assert capabilities_of(AnonymousUser()) == frozenset()
    assert capabilities_of(None) == frozenset()
    assert not any(user_can(AnonymousUser(), cap) for cap in CAPABILITIES)
    assert not user_can(None, Capability.REPORT)


def test_a_superuser_has_the_admin_s_rights_whatever_the_role():
    user = User(phone="13900000099", role=Role.CITIZEN, is_superuser=True)
    assert capabilities_of(user) == expected()["admin"]


def test_an_unknown_role_has_no_rights():
    assert capabilities_of(User(phone="13900000099", role="mayor")) == frozenset()


def test_the_personas_have_their_rows(world):
    assert user_can(world.dispatcher, Capability.DISPATCH)
    assert not user_can(world.roads_handler, Capability.DISPATCH)
    assert user_can(world.roads_handler, Capability.HANDLE)
    assert user_can(world.admin, Capability.CONFIGURE)
    assert not user_can(world.citizen, Capability.VIEW_CITY)


# Which roles each role may give in the staff page (人员管理): department roles, none above one's own.
GRANTABLE = {
    "citizen": [],
    "grid_member": [],
    "dispatcher": [],
    "handler": [],
    "department_admin": ["handler", "department_admin"],
    "inspector": [],
    "leader": [],
    "admin": ["handler", "department_admin"],
    "auditor": [],
}


@pytest.mark.parametrize("role", Role.values)
def test_roles_grantable_by_each_role(role):
    assert roles_grantable_by(User(phone="13900000099", role=role, is_active=True)) == GRANTABLE[role]


def test_no_role_grants_a_capability_it_lacks_except_the_administrator():
    for role, grantable in GRANTABLE.items():
        if role == "admin":
            continue
        for granted in grantable:
            assert expected()[granted] <= expected()[role], (role, granted)
