"""Free text from people: one check for every field the API, the H5 forms and the console accept.

`text_check` refuses what a database or a spreadsheet cannot hold — C0 control characters other
than tab, line feed and carriage return (a NUL byte breaks PostgreSQL text; openpyxl refuses
them all) and lone surrogates (not encodable as UTF-8) — and a value longer than its column,
instead of cutting it silently. `text_clean` removes the same characters from text on its way
out (exports), for rows written before the check existed.
"""

from __future__ import annotations

import re

from civicgrid.core.errors import DomainError

# C0 controls except \t \n \r, and UTF-16 surrogates (only reachable through "\ud800" in JSON).
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def text_clean(value: str) -> str:
    """`value` without the characters `text_check` refuses."""
    return _REFUSED.sub("", value)


def text_check(
    value: str | None,
    *,
    field: str,
    max_length: int | None = None,
    required: bool = False,
    strip: bool = True,
) -> str:
    """The value (stripped) if it may be stored; else a 422 `DomainError` on `field`.

    Refuses control characters (text_control_character), an empty value when `required`
    (text_required) and one over `max_length` characters (text_too_long): over-long text is
    refused, never cut.
    """
    value = "" if value is None else str(value)
    if strip:
        value = value.strip()
    found = _REFUSED.search(value)
    if found is not None:
        char = f"U+{ord(found.group()):04X}"
        raise DomainError(
            "text_control_character",
            f"{field} 含有不可见的控制字符（{char}，第 {found.start() + 1} 个字符），请删除后重试",
            f"{field} contains a control character ({char} at position {found.start() + 1}); remove it",
            field=field,
        )
    if required and not value:
        raise DomainError("text_required", f"请填写 {field}", f"{field} is required", field=field)
    if max_length is not None and len(value) > max_length:
        raise DomainError(
            "text_too_long",
            f"{field} 不能超过 {max_length} 个字符（当前 {len(value)} 个）",
            f"{field} is limited to {max_length} characters (got {len(value)})",
            field=field,
        )
    return value


_PHONE = re.compile(r"\+?[0-9][0-9 \-]*[0-9]")
# 11-digit mobile (1[3-9]…), or a landline: area code 0xx/0xxx + 7–8 digits (extension allowed),
# or a 7–8 digit local number, or a short service number (110, 12345); +86 / 0086 in front allowed.
_CN_PHONE = re.compile(r"(?:1[3-9]\d{9}|0\d{2,3}\d{7,8}(?:\d{1,6})?|[2-9]\d{6,7}|1\d{2,4}|9\d{4})")


def phone_check(value: str | None, *, field: str = "contact_phone", required: bool = False) -> str:
    """A phone number as given (stripped) if it looks like one: a Chinese mobile (13812345678,
    +86 138 1234 5678), a landline (0477-8123456, 010 12345678) or a service number (12345);
    digits, '+', '-' and spaces only, at most 20 characters. Else a 422 on `field`."""
    value = text_check(value, field=field, max_length=20, required=required)
    if not value:
        return value
    digits = value.replace(" ", "").replace("-", "")
    international = digits.startswith(("+86", "0086"))
    if international:  # a landline written internationally drops its leading 0: +86 477 8123456
        digits = digits.removeprefix("+86").removeprefix("0086")
    national = _CN_PHONE.fullmatch(digits) or (international and _CN_PHONE.fullmatch("0" + digits))
    if not _PHONE.fullmatch(value) or not national:
        raise DomainError(
            "phone_invalid",
            "电话号码格式不正确：请填写手机号（如 13812345678）或固话（如 0477-8123456）",
            "not a phone number: give a mobile (e.g. 13812345678) or a landline (e.g. 0477-8123456)",
            field=field,
        )
    return value


_CJK = re.compile("[\u4e00-\u9fff]")


def csv_decode(data: bytes, *, field: str = "file") -> str:
    """The text of an uploaded CSV: UTF-8 (with or without the BOM Excel writes), or GB18030 (what
    Excel saves by default on a Chinese Windows) when the bytes decode as GB18030 without error and
    hold Chinese text. Anything else is refused with a 422 on `field` asking for UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _CJK.search(text) and not _REFUSED.search(text):
        return text
    raise DomainError(
        "csv_encoding",
        "文件编码无法识别：请在 Excel 中选择“另存为 → CSV UTF-8（逗号分隔）”后重新导入",
        "the file's encoding is not recognised: save it as “CSV UTF-8 (comma delimited)” and import it again",
        field=field,
    )


# What a spreadsheet reads as the start of a formula (CSV/formula injection): such text is written with an
# apostrophe first, so that a person's words open as the words they typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """Text for a CSV or xlsx cell: an apostrophe before what a spreadsheet would run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
