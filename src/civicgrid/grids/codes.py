"""Unit grid codes (单元网格标识码), GB/T 47678.3 / DB11 shape.

A cell code is 15 digits: 6 district (GB/T 2260 行政区划) + 3 street (街道/乡镇) + 3 community
(社区/村) + 3 sequence within the community (numbered west→east, north→south). Each level's code
is therefore the prefix of the level below: district 6, street 9, community 12, cell 15.
"""

from __future__ import annotations

import re

from civicgrid.core.errors import DomainError

LEVEL_LENGTHS = {"district": 6, "street": 9, "community": 12, "cell": 15}
PARENT_LEVEL = {"street": "district", "community": "street", "cell": "community"}
_DIGITS = re.compile(r"^\d+$")
LEVEL_NAMES_ZH = {"district": "区县", "street": "街道", "community": "社区", "cell": "单元网格"}


def check_code(level: str, code: str) -> str:
    """Return the code if it is well formed for `level`, else raise a DomainError saying why."""
    if level not in LEVEL_LENGTHS:
        raise DomainError(
            "grid_level_unknown", f"未知的网格层级 {level!r}", f"unknown grid level {level!r}", field="level"
        )
    want = LEVEL_LENGTHS[level]
    if not isinstance(code, str) or not _DIGITS.match(code) or len(code) != want:
        raise DomainError(
            "grid_code_invalid",
            f"{LEVEL_NAMES_ZH[level]}编码应为 {want} 位数字，收到 {code!r}",
            f"a {level} code must be {want} digits, got {code!r}",
            field="code",
        )
    if level != "district" and code[LEVEL_LENGTHS[PARENT_LEVEL[level]] :] == "0" * (
        want - LEVEL_LENGTHS[PARENT_LEVEL[level]]
    ):
        raise DomainError(
            "grid_code_invalid",
            f"{LEVEL_NAMES_ZH[level]}编码的本级顺序码不能为全 0：{code}",
            f"the {level}'s own part of the code cannot be all zeros: {code}",
            field="code",
        )
    return code


def parent_code(level: str, code: str) -> str | None:
    parent = PARENT_LEVEL.get(level)
    return code[: LEVEL_LENGTHS[parent]] if parent else None
