"""A per-process copy of rows that every request reads, reloaded when their revision number moves.

The grid index (grids/index.py) and the taxonomy snapshot (taxonomy/cache.py) are read on every
report and change rarely. Each keeps one row with a revision number that a change bumps in the
same transaction. A process looks at that number at most every CIVICGRID_GRID_RECHECK_SECONDS
(one tiny query), reloads when it moved, and otherwise answers from memory. The revision is read
before the rows: a change committed in between is loaded again at the next look, never missed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")


class ProcessCopy(Generic[T]):
    def __init__(self, *, load: Callable[[int], T], current_revision: Callable[[], int]) -> None:
        self._load = load  # revision → the copy
        self._current_revision = current_revision
        self._lock = threading.Lock()
        self._copy: T | None = None
        self._revision: int | None = None
        self._checked_at = 0.0

    def get(self) -> T:
        """This process's copy, reloaded if the revision moved since it was loaded."""
        copy = self._copy
        if copy is not None and time.monotonic() - self._checked_at < settings.CIVICGRID_GRID_RECHECK_SECONDS:
            return copy
        with self._lock:
            revision = self._current_revision()
            if self._copy is None or self._revision != revision:
                self._copy, self._revision = self._load(revision), revision
            self._checked_at = time.monotonic()
            return self._copy

    def invalidate(self) -> None:
        """Forget the copy in this process (after this process changed the rows, and between tests)."""
        with self._lock:
            self._copy, self._revision = None, None
            self._checked_at = 0.0
