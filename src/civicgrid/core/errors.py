"""Domain errors: what went wrong, on which field, in Chinese and English.

Services raise these; the API turns them into a JSON body with the HTTP status, and pages show
the message next to the field. Nothing is written when one is raised inside a service's
transaction.
"""

from __future__ import annotations

from django.utils.translation import get_language


class DomainError(Exception):
    """A refused request: `code` is stable for machines, the messages are for people."""

    status = 422

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        field: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        if status is not None:
            self.status = status
        # HTTP headers the answer carries (e.g. Retry-After of a 429).
        self.headers = dict(headers or {})

    @property
    def message(self) -> str:
        """The message in the active language."""
        return self.message_en if (get_language() or "").startswith("en") else self.message_zh

    def as_dict(self) -> dict[str, str | None]:
        return {
            "error": self.code,
            "field": self.field,
            "message": self.message,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    """The request is valid but the object's current state does not allow it."""

    status = 409
