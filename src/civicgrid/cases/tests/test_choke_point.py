"""cases/workflow.py is the only code that sets a case's status, writes a CaseEvent or runs the hooks.

Read from the source (every module of the project but tests and migrations), so that a new write
elsewhere fails here instead of silently skipping the hooks, the checks and the notifications.
"""

from __future__ import annotations

import ast
from pathlib import Path

import civicgrid

ROOT = Path(civicgrid.__file__).parent
CHOKE_POINT = ROOT / "cases" / "workflow.py"
EVENT_WRITES = {"create", "bulk_create", "get_or_create", "update_or_create"}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):
        return _dotted(node.func) + "()." + ".".join(reversed(parts)) if parts else _dotted(node.func) + "()"
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def case_writes(source: str) -> list[str]:
    """What in `source` writes a case's status or event, or runs the hooks, as "line: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            keywords = {k.arg for k in node.keywords}
            if name == "CaseEvent" or (
                name.startswith("CaseEvent.objects") and name.split(".")[-1] in EVENT_WRITES
            ):
                found.append(f"{node.lineno}: {name}")
            elif name == "hooks.run":
                found.append(f"{node.lineno}: hooks.run")
            elif name == "Case" and "status" in keywords:
                found.append(f"{node.lineno}: Case(status=…)")
            elif name.startswith("Case.objects") and name.endswith(".update") and "status" in keywords:
                found.append(f"{node.lineno}: Case update(status=…)")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if (
                        isinstance(t, ast.Attribute)
                        and t.attr == "status"
                        and isinstance(t.value, ast.Name)
                        and "case" in t.value.id.lower()
                    ):
                        found.append(f"{node.lineno}: {t.value.id}.status =")
    return found


def test_only_the_workflow_writes_statuses_and_events():
    elsewhere = {}
    for path in sorted(ROOT.rglob("*.py")):
        if path == CHOKE_POINT or {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
            continue
        found = case_writes(path.read_text(encoding="utf-8"))
        if found:
            elsewhere[str(path.relative_to(ROOT))] = found
    assert elsewhere == {}


def test_the_scan_finds_what_the_workflow_writes():
    found = " ".join(case_writes(CHOKE_POINT.read_text(encoding="utf-8")))
    for write in ("CaseEvent.objects.create", ": CaseEvent", "hooks.run", "case.status ="):
        assert write in found


def test_the_scan_finds_each_kind_of_write():
    source = """
case.status = "closed"
other_case.status, x = "merged", 1
Case.objects.filter(pk=1).update(status="closed")
Case(status="reported")
CaseEvent(case=case, action="report")
CaseEvent.objects.bulk_create([])
hooks.run("report", case, event)
request.status = 1
Case.objects.filter(pk=1).update(me_too_count=2)
"""
    assert [w.split(": ")[0] for w in case_writes(source)] == ["2", "3", "4", "5", "6", "7", "8"]
