"""The evaluation's writes, in one place for callers (pages, API, demo): each lives in its module.

- indicators.py: editions (create, copy, publish = freeze), items, contents, standards, import/export,
  site types and sites;
- sampling.py: rounds, the seeded stratified draw, assignment to inspectors, open/close;
- inspection.py: the checklist of a sampled site and the observation recorded on site;
- rectification.py: the rectification loop, the case-loop link and the escalation of overdue tasks.
"""

from civicgrid.evaluation.indicators import (
    ImportResult,
    RowError,
    content_add,
    edition_copy,
    edition_create,
    edition_publish,
    indicators_export,
    indicators_import,
    item_add,
    site_create,
    site_type_create,
    sites_import,
    standard_add,
    standard_update,
)
from civicgrid.evaluation.inspection import observation_record, standards_for
from civicgrid.evaluation.rectification import (
    task_open_case,
    task_reinspect,
    task_submit_evidence,
    tasks_overdue_escalate,
)
from civicgrid.evaluation.sampling import (
    draw_verify,
    round_assign,
    round_close,
    round_create,
    round_draw,
    round_open,
)

__all__ = [
    "ImportResult",
    "RowError",
    "content_add",
    "draw_verify",
    "edition_copy",
    "edition_create",
    "edition_publish",
    "indicators_export",
    "indicators_import",
    "item_add",
    "observation_record",
    "round_assign",
    "round_close",
    "round_create",
    "round_draw",
    "round_open",
    "site_create",
    "site_type_create",
    "sites_import",
    "standard_add",
    "standard_update",
    "standards_for",
    "task_open_case",
    "task_reinspect",
    "task_submit_evidence",
    "tasks_overdue_escalate",
]
