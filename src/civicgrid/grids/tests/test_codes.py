"""Unit grid code rules (GB/T 47678.3 shape): 6 + 3 + 3 + 3 digits, each level the prefix of the next."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civicgrid.core.errors import DomainError
from civicgrid.grids.codes import check_code, parent_code
from civicgrid.grids.models import Cell, Community, Street


@pytest.mark.parametrize(
    ("level", "code"),
    [
        ("district", "150603"),
        ("street", "150603001"),
        ("community", "150603001002"),
        ("cell", "150603001002999"),
    ],
)
def test_well_formed_codes_are_accepted(level, code):
    assert check_code(level, code) == code


@pytest.mark.parametrize(
    ("level", "code", "why"),
    [
        ("district", "15060", "too short"),
        ("district", "1506031", "too long"),
        ("street", "150603001001", "a community code is not a street code"),
        ("cell", "15060300100200", "14 digits"),
        ("cell", "15060300100200a", "a letter"),
        ("cell", " 50603001002001", "a space"),
        ("cell", "", "empty"),
        ("street", "150603000", "the street's own part is all zeros"),
        ("community", "150603001000", "the community's own part is all zeros"),
        ("cell", "150603001002000", "the cell's own part is all zeros"),
    ],
)
def test_malformed_codes_are_refused(level, code, why):
    with pytest.raises(DomainError) as exc:
        check_code(level, code)
    assert exc.value.code == "grid_code_invalid", why
    assert exc.value.field == "code"


def test_a_non_string_code_is_refused():
    with pytest.raises(DomainError):
        check_code("district", 150603)  # type: ignore[arg-type]


def test_an_unknown_level_is_refused():
    with pytest.raises(DomainError) as exc:
        check_code("province", "15")
    assert exc.value.code == "grid_level_unknown"


@pytest.mark.parametrize(
    ("level", "code", "parent"),
    [
        ("district", "150603", None),
        ("street", "150603001", "150603"),
        ("community", "150603001002", "150603001"),
        ("cell", "150603001002003", "150603001002"),
    ],
)
def test_the_parent_code_is_the_prefix(level, code, parent):
    assert parent_code(level, code) == parent


def test_a_code_must_start_with_its_parent_s_code(world):
    with pytest.raises(ValidationError) as exc:
        Street(code="150604001", name="别区街道", district=world.district).clean()
    assert "code" in exc.value.message_dict

    with pytest.raises(ValidationError) as exc:
        Community(code="150603002001", name="别街社区", street=world.street).clean()
    assert "150603001" in exc.value.message_dict["code"][0]

    with pytest.raises(ValidationError):
        Cell(code="150603001002009", name="错社区", community=world.north, street=world.street).clean()


def test_clean_accepts_a_good_code_and_refuses_a_malformed_one(world):
    Cell(code="150603001001009", name="北苑九格", community=world.north, street=world.street).clean()
    with pytest.raises(ValidationError) as exc:
        Cell(code="15060300100109", name="短", community=world.north, street=world.street).clean()
    assert "code" in exc.value.message_dict
