"""Users: mainland mobile numbers only, and department staff must belong to a department."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civicgrid.accounts.models import Department, User, validate_phone
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create


@pytest.mark.parametrize("phone", ["13812345678", "19912345678", "15000000000"])
def test_good_phone_numbers_pass(phone):
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone",
    [
        "1381234567",
        "138123456789",
        "12812345678",
        "23812345678",
        "1381234567a",
        "+8613812345678",
        "",
        None,
        "138 1234 5678",
    ],
)
def test_bad_phone_numbers_are_refused(phone):
    with pytest.raises(ValidationError):
        validate_phone(phone)


def test_user_create_refuses_a_bad_phone(db):
    with pytest.raises(ValidationError):
        user_create(phone="12345", password="x-secret-123")
    assert not User.objects.exists()


def test_full_clean_refuses_a_bad_phone(db):
    with pytest.raises(ValidationError) as exc:
        User(phone="1234567890a", password="x").full_clean()
    assert "phone" in exc.value.message_dict


@pytest.mark.parametrize("role", [Role.HANDLER, Role.DEPARTMENT_ADMIN])
def test_department_staff_need_a_department(db, role):
    with pytest.raises(ValidationError) as exc:
        User(phone="13812345678", password="x", role=role).full_clean()
    assert "department" in exc.value.message_dict
    with pytest.raises(ValidationError):
        user_create(phone="13812345678", password="x-secret-123", role=role)
    assert not User.objects.exists()
    department = Department.objects.create(code="YLZX", name="园林绿化中心")
    User(phone="13812345678", password="x", role=role, department=department).full_clean()


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.DISPATCHER, Role.LEADER, Role.ADMIN])
def test_other_roles_need_no_department(db, role):
    User(phone="13812345678", password="x", role=role).full_clean()


def test_staff_roles_get_the_admin_site_and_admins_are_superusers(world):
    assert not world.citizen.is_staff
    assert not world.grid_member.is_staff
    assert world.dispatcher.is_staff and not world.dispatcher.is_superuser
    assert world.admin.is_staff and world.admin.is_superuser
