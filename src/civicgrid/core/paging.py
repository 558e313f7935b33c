"""Bounds of paging parameters: an offset or page number past them is refused (API: 422 on the
field) or not found (pages: 404), rather than reaching the database as a number it cannot hold
(≥ 2^63 is a 500 on SQLite and PostgreSQL). No list of the platform comes near them."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_OFFSET = 10_000_000
MAX_PAGE = 100_000

Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
Page = Annotated[int, Field(ge=1, le=MAX_PAGE)]
