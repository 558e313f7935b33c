"""The evaluation's refusals that callers may want to tell apart (all are DomainErrors)."""

from __future__ import annotations

from civicgrid.core.errors import Conflict


class FrozenEdition(Conflict):
    """A published edition (已发布) does not change: its items, contents, standards, gates and negative
    items stay as they were scored; a new edition starts as a copy."""

    def __init__(self, edition_name: str = "") -> None:
        super().__init__(
            "edition_frozen",
            f"测评体系「{edition_name}」已发布，不能修改；请复制为新版本后修改",
            f"the edition {edition_name!r} is published and frozen; copy it to a new edition to change it",
        )
