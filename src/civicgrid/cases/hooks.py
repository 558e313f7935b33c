"""Other apps react to moves of the case loop here, inside the move's transaction.

`on(Action.REGISTER)(fn)` registers `fn(case, event)`; `case_transition` calls every function
registered for the action after the event is written, before the transaction commits — so a
points award for a registered report is written or rolled back together with the registration.
Apps register in their AppConfig.ready(); the cases app itself knows none of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

_hooks: dict[str, list[Callable]] = defaultdict(list)


def on(action: str) -> Callable[[Callable], Callable]:
    def register(fn: Callable) -> Callable:
        if fn not in _hooks[action]:
            _hooks[action].append(fn)
        return fn

    return register


def run(action: str, case, event) -> None:
    for fn in _hooks.get(action, ()):
        fn(case, event)
