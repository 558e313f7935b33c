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


# --- a step's time limit passing (超期) ----------------------------------------------------------------
# Not a move: `cases.tasks.scan_overdue` marks each step's deadline overdue once and calls every function
# registered here as `fn(case, deadline)`, in the transaction of that mark (so a reaction is written once,
# with it). A separate registry, so the move hooks above stay the workflow's alone.

_overdue_hooks: list[Callable] = []


def on_overdue(fn: Callable) -> Callable:
    if fn not in _overdue_hooks:
        _overdue_hooks.append(fn)
    return fn


def run_overdue(case, deadline) -> None:
    for fn in _overdue_hooks:
        fn(case, deadline)
