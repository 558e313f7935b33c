"""Redaction of the personal data a report's free text may carry (core.masking.redact_text)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.core.masking import ID_NUMBER, LANDLINE, MOBILE, PLATE, redact_text


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("邻居张三 13712345678 乱扔垃圾", "邻居张三 137******** 乱扔垃圾"),
        ("打137-1234-5678或139 1234 5678", "打137-****-****或139 **** ****"),
        ("+8613912345678", "+86139********"),
        ("座机010-12345678", "座机010-********"),
        ("座机 (0477)8123456 转 12", "座机 (0477)******* * **"),
        ("身份证11010519491231002X，请核实", "身份证******************，请核实"),
        ("身份证号 150602199001011234", "身份证号 ******************"),
        ("车牌京A12345停在消防通道", "车牌京A*****停在消防通道"),
        ("新能源车 粤B·D12345 占道", "新能源车 粤B·****** 占道"),
        ("粤BD12345 和 蒙K12345", "粤B****** 和 蒙K*****"),
        ("教练车 苏E1234学", "教练车 苏E*****"),
    ],
)
def test_personal_data_is_hidden(text, redacted):
    assert redact_text(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "人行道上有一处坑洞，约 2 米长",
        "共 12 个井盖缺失，编号 12345",
        "订单号 20241201123456789012345",  # a long number is not a phone or an ID
        "12345678901",  # 11 digits but no mobile prefix
        "1371234567",  # 10 digits
        "京A1234",  # too short for a plate
        "2024年5月1日 13:30 发生",
        "",
    ],
)
def test_text_without_personal_data_is_unchanged(text):
    assert redact_text(text) == text


mobiles = st.from_regex(re.compile(r"1[3-9][0-9]{9}"), fullmatch=True)
ids = st.from_regex(
    re.compile(r"[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9])[0-9]{3}[0-9X]"), fullmatch=True
)
plates = st.from_regex(re.compile(r"[京沪粤蒙川][A-HJ-NP-Z][·]?[A-HJ-NP-Z0-9]{5,6}"), fullmatch=True)
# Chinese text around the data: no digits or Latin letters touch it.
words = st.text(alphabet="邻居张三乱扔垃圾在路口，。电话车牌号 ", max_size=12)


@given(before=words, secret=st.one_of(mobiles, ids, plates), after=words)
def test_no_data_survives_and_the_words_around_it_stay(before, secret, after):
    out = redact_text(before + secret + after)
    assert secret not in out
    assert out.startswith(before) and out.endswith(after)
    assert len(out) == len(before + secret + after)  # the text keeps its shape
    for pattern in (ID_NUMBER, MOBILE, LANDLINE, PLATE):
        assert not pattern.search(out)


@given(st.text(max_size=80))
def test_redacting_twice_changes_nothing_more(text):
    once = redact_text(text)
    assert redact_text(once) == once
