"""Masking of personal data wherever the viewer does not need it (王*, 138****5678)."""

from __future__ import annotations

import re

# What an erasure of personal data (accounts.services.personal_data_erase) leaves in free text.
ERASED = "（个人信息已删除 personal data erased）"


def mask_name(name: str) -> str:
    """Keep the family name (first character) and hide the rest: 王芳 → 王*, 欧阳娜娜 → 欧***."""
    name = (name or "").strip()
    if not name:
        return ""
    if len(name) == 1:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a mobile number: 13812345678 → 138****5678."""
    phone = (phone or "").strip()
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# --- personal data in free text shown to the public ------------------------------------------------
# A report's text is the reporter's own words: "邻居张三 13712345678 乱扔垃圾". What the public
# see of it goes through `redact_text`; the stored text stays whole for the staff who handle it.

# Provinces (and 使/领 for embassy plates) that open a Chinese number plate.
_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
# A digit or Latin letter must not touch a match on either side (no match inside a longer number).
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"

# 居民身份证: 6 digits of region, birth date YYYYMMDD, 3 digits, a check digit or X.
ID_NUMBER = re.compile(
    _NOT_ALNUM_BEFORE
    + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]"
    + _NOT_ALNUM_AFTER
)
# Mobile numbers (1[3-9] and 9 more digits), optionally +86, grouped 3-4-4 by spaces or hyphens.
MOBILE = re.compile(
    _NOT_ALNUM_BEFORE + r"(?:(?:\+|00)?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?\d{4}" + _NOT_ALNUM_AFTER
)
# Landlines with their area code: 010-12345678, (0755)1234567, 0471 1234567, with an extension.
LANDLINE = re.compile(
    _NOT_ALNUM_BEFORE
    + r"(\(?0\d{2,3}\)?)[- ]?[1-9]\d{6,7}(?:[- ]?(?:转|ext\.?|-)\s?\d{1,5})?"
    + _NOT_ALNUM_AFTER
)
# Number plates: province, issuing letter, an optional dot, 5 characters (6 for new-energy plates),
# the last one possibly 挂/学/警/港/澳. Letters I and O are not used on plates.
PLATE = re.compile(
    rf"([{_PLATE_PROVINCES}]\s?[A-Za-z])[·・.\s-]?"
    r"(?:[A-HJ-NP-Za-hj-np-z0-9]{5,6}|[A-HJ-NP-Za-hj-np-z0-9]{4}[挂学警港澳])" + _NOT_ALNUM_AFTER
)


def _stars(keep: int):
    """A replacement that keeps the first `keep` characters of a match and stars every other letter or
    digit (punctuation and spaces stay, so the text keeps its shape)."""

    def replace(match: re.Match) -> str:
        text = match.group(0)
        return text[:keep] + "".join("*" if ch.isalnum() else ch for ch in text[keep:])

    return replace


def redact_text(text: str) -> str:
    """Hide the personal data a report's free text may carry before the public sees it: identity card
    numbers (all hidden), mobile numbers (138********), landlines (010-********) and number plates
    (京A*****). Text without any of them comes back unchanged; redacting twice changes nothing more."""
    if not text:
        return text or ""
    text = ID_NUMBER.sub(_stars(0), text)
    text = MOBILE.sub(lambda m: _stars(m.end(1) - m.start(0))(m), text)
    text = LANDLINE.sub(lambda m: _stars(m.end(1) - m.start(0))(m), text)
    return PLATE.sub(lambda m: _stars(m.end(1) - m.start(0))(m), text)


def mask_logged_value(value: str) -> str:
    """How django-auditlog writes a personal field into the model-change log (AUDITLOG_MASK_CALLABLE)."""
    value = str(value or "")
    return mask_phone(value) if value.strip().isdigit() else mask_name(value)
