"""The platform's notion of "now".

Services ask `clock.now()` instead of `timezone.now()` so that the demo can replay a year of
history through the real service layer (`at(moment)`), exactly as it would have happened.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_local = threading.local()


def now() -> datetime:
    override = getattr(_local, "moment", None)
    return override if override is not None else timezone.now()


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the block as if it were `moment` (this thread only)."""
    previous = getattr(_local, "moment", None)
    _local.moment = moment
    try:
        yield
    finally:
        _local.moment = previous
