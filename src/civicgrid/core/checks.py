"""System checks that keep a production server from starting with keys anyone can read.

They run before `civicgrid migrate`, `civicgrid serve` and `civicgrid check --deploy` (every command
with system checks). With DEBUG off:
- SECRET_KEY (or one of SECRET_KEY_FALLBACKS) is the demo value shipped in settings.py: anyone could
  forge a session or a password-reset link with it;
- CIVICGRID_TOKEN_KEYS is empty: the QR-code and voucher keys would be derived from SECRET_KEY, and
  rotating SECRET_KEY would void every printed code (docs/SECURITY.md).
A malformed CIVICGRID_TOKEN_KEYS / CIVICGRID_TOKEN_KEY_ID is an error whatever DEBUG says.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

# Keys whose value is public: the demo default of settings.py and Django's startproject template.
PUBLIC_KEY_PREFIXES = ("civicgrid-demo-", "django-insecure-")
NEW_KEY_COMMAND = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def _is_public(key: str) -> bool:
    return key.startswith(PUBLIC_KEY_PREFIXES)


@register(Tags.security)
def check_secret_key(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    errors = []
    if _is_public(settings.SECRET_KEY):
        errors.append(
            Error(
                "SECRET_KEY 仍是公开的演示密钥，DEBUG 关闭时不能启动 / "
                "SECRET_KEY is the public demo key: refused with DEBUG off",
                hint=f"Set the environment variable SECRET_KEY (or SECRET_KEY_FILE, a file holding it) "
                f"to a long random value, e.g. {NEW_KEY_COMMAND}; or DEBUG=1 on a development machine.",
                id="civicgrid.E001",
            )
        )
    if any(_is_public(key) for key in settings.SECRET_KEY_FALLBACKS):
        errors.append(
            Error(
                "SECRET_KEY_FALLBACKS 含有公开的演示密钥 / SECRET_KEY_FALLBACKS holds the public demo key",
                hint="Remove it from the environment variable SECRET_KEY_FALLBACKS (or SECRET_KEY_FALLBACKS_FILE).",
                id="civicgrid.E002",
            )
        )
    return errors


@register(Tags.security)
def check_token_keys(app_configs=None, **kwargs) -> list[Error]:
    configured = getattr(settings, "CIVICGRID_TOKEN_KEYS", "")
    key_id = getattr(settings, "CIVICGRID_TOKEN_KEY_ID", "")
    if not configured:
        if settings.DEBUG:
            return []
        return [
            Error(
                "未配置二维码签名密钥 CIVICGRID_TOKEN_KEYS / CIVICGRID_TOKEN_KEYS is not set",
                hint="Set the environment variable CIVICGRID_TOKEN_KEYS (or CIVICGRID_TOKEN_KEYS_FILE) to "
                "'k1:<long random value>': QR codes and vouchers need a key of their own, else rotating "
                "SECRET_KEY voids every printed code (docs/SECURITY.md).",
                id="civicgrid.E003",
            )
        ]
    kids = []
    for part in configured.split(","):
        kid, _, secret = part.strip().partition(":")
        if not kid or not secret or "." in kid:
            return [
                Error(
                    "CIVICGRID_TOKEN_KEYS 格式错误 / CIVICGRID_TOKEN_KEYS is malformed",
                    hint="Write it as 'k1:<secret>,k2:<secret>': key ids without dots, each with its secret.",
                    id="civicgrid.E004",
                )
            ]
        if not settings.DEBUG and (_is_public(secret) or secret == settings.SECRET_KEY):
            return [
                Error(
                    f"二维码签名密钥 {kid} 不能是演示密钥或 SECRET_KEY / "
                    f"token key {kid} must be neither the demo key nor SECRET_KEY",
                    hint="Give CIVICGRID_TOKEN_KEYS a random value of its own (docs/SECURITY.md).",
                    id="civicgrid.E005",
                )
            ]
        kids.append(kid)
    if len(set(kids)) != len(kids):
        return [
            Error(
                "CIVICGRID_TOKEN_KEYS 中密钥编号重复 / CIVICGRID_TOKEN_KEYS names a key id twice",
                id="civicgrid.E004",
            )
        ]
    if key_id and key_id not in kids:
        return [
            Error(
                f"CIVICGRID_TOKEN_KEY_ID={key_id} 不在 CIVICGRID_TOKEN_KEYS 中 / "
                f"CIVICGRID_TOKEN_KEY_ID={key_id} is not one of CIVICGRID_TOKEN_KEYS",
                hint=f"Use one of: {', '.join(kids)}.",
                id="civicgrid.E006",
            )
        ]
    return []
