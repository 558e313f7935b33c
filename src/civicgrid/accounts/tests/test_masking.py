"""Personal data is masked wherever the viewer does not need it: 王*, 138****5678."""

from __future__ import annotations

import pytest

from civicgrid.accounts.models import User
from civicgrid.core.masking import mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王芳", "王*"),
        ("欧阳娜娜", "欧***"),
        ("张伟", "张*"),
        ("李", "李"),
        ("  王芳 ", "王*"),
        ("", ""),
        (None, ""),
    ],
)
def test_names_keep_only_the_first_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("13900000001", "139****0001"), ("12345", "*****"), ("", "")],
)
def test_phones_keep_the_first_three_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


def test_display_name_masks_the_real_name():
    assert User(phone="13812345678", real_name="王芳").display_name == "王*"
    assert str(User(phone="13812345678", real_name="欧阳娜娜")) == "欧***"


def test_display_name_falls_back_to_the_masked_phone():
    user = User(phone="13812345678")
    assert user.display_name == "138****5678"
    assert "12345678" not in str(user)


def test_full_display_name_is_unmasked():
    assert User(phone="13812345678", real_name="王芳").full_display_name == "王芳"
    assert User(phone="13812345678").full_display_name == "13812345678"


def test_the_personas_show_masked(world):
    assert world.citizen.display_name == "王*"
    assert world.admin.display_name == "管**"
