"""Masking of personal data wherever the viewer does not need it (王*, 138****5678)."""

from __future__ import annotations

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


def mask_logged_value(value: str) -> str:
    """How django-auditlog writes a personal field into the model-change log (AUDITLOG_MASK_CALLABLE)."""
    value = str(value or "")
    return mask_phone(value) if value.strip().isdigit() else mask_name(value)
