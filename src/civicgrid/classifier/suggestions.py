"""Suggestions shown to people, logged with what was finally chosen (learning from outcomes).

- `suggestion_log(...)`: a showing of the top suggestions (where, target, model version, the text's hash, the
  labels with their confidences, who, and the case once it is known).
- The case loop resolves the logs through `cases.hooks` (registered in `ClassifierConfig.ready`):
  REPORT links the reporter's log of the same text and takes the citizen's category; REGISTER takes the
  registered category (after a dispatcher's correction: the final label); DISPATCH takes the department;
  RETURN (退回) marks the department suggestion returned — the department was wrong, a training label.
- `case_category_suggestions` / `case_department_suggestion`: what the console's 立案 and 派遣 forms show,
  logged once per case and form until resolved.

The hooks run inside the move's transaction: one indexed query each, in a savepoint, and a failure is
logged, never raised (a suggestion log never stops a move).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import Department
from civicgrid.cases.models import Case
from civicgrid.core.rawsql import ModelLookup

from .models import SuggestionLog, SuggestionOutcome, SuggestionWhere, Target
from .services import (
    CategorySuggestion,
    DepartmentSuggestion,
    case_text,
    category_label,
    suggest_categories,
    suggest_department,
)
from .store import active_version

logger = logging.getLogger("civicgrid.classifier")

TOP = 3


def text_hash(text: str) -> str:
    return hashlib.sha256((text or "").strip().encode("utf-8")).hexdigest()


def outcome_of(suggested: list[str], chosen: str) -> str:
    """accepted (the top suggestion), in_top3 (another one shown), overridden (none shown), pending (no choice)."""
    if not chosen:
        return SuggestionOutcome.PENDING
    if suggested and suggested[0] == chosen:
        return SuggestionOutcome.ACCEPTED
    if chosen in suggested[:TOP]:
        return SuggestionOutcome.IN_TOP3
    return SuggestionOutcome.OVERRIDDEN


def _labels(log: SuggestionLog) -> list[str]:
    return [s["label"] for s in log.suggestions]


def _resolve(log: SuggestionLog, chosen: str, now) -> None:
    log.chosen_label = chosen
    log.outcome = outcome_of(_labels(log), chosen)
    log.resolved_at = now if log.outcome != SuggestionOutcome.PENDING else None


@transaction.atomic
def suggestion_log(
    *,
    where: str,
    target: str,
    text: str,
    ranked: list[tuple[str, float]],
    user=None,
    case: Case | None = None,
    replace: int | None = None,
) -> SuggestionLog | None:
    """Record that `ranked` (label, confidence) was shown for `text`; None when nothing was shown.

    `replace`: the id of this person's earlier, still unlinked log of the same form (the H5 form asks
    again as the citizen types): it is updated (or removed when nothing is shown any more), so one form
    leaves one log."""
    previous = None
    if replace and user is not None and user.is_authenticated:
        previous = (
            SuggestionLog.objects.select_for_update()
            .filter(pk=replace, user=user, case__isnull=True, where=where, target=target)
            .first()
        )
    if not ranked:
        if previous is not None:
            previous.delete()
        return None
    version = active_version(target)
    values = {
        "where": where,
        "target": target,
        "model_version": version,
        "text_hash": text_hash(text),
        "suggestions": [{"label": label, "confidence": round(float(p), 4)} for label, p in ranked[:TOP]],
        "case": case,
        "user": user if user is not None and user.is_authenticated else None,
    }
    if previous is not None:
        for name, value in values.items():
            setattr(previous, name, value)
        previous.created_at = timezone.now()
        previous.save()
        return previous
    return SuggestionLog.objects.create(**values)


def category_ranked(suggestions: list[CategorySuggestion]) -> list[tuple[str, float]]:
    return [(category_label(s.category), s.confidence) for s in suggestions]


@transaction.atomic
def suggestion_link(*, log_id: int | str | None, case: Case, user) -> SuggestionLog | None:
    """The report form's log (its id sent with the form) joins the case the report made.

    Only the person's own, still unlinked log; its outcome is the case's category as it is now (the
    citizen's pick, or the registered one when a patrol report was registered at once)."""
    try:
        pk = int(log_id or 0)
    except (TypeError, ValueError):
        return None
    if pk <= 0 or user is None or not user.is_authenticated:
        return None
    log = (
        SuggestionLog.objects.select_for_update()
        .filter(pk=pk, user=user, case__isnull=True, target=Target.CATEGORY)
        .first()
    )
    if log is None:
        return None
    log.case = case
    chosen = _case_category(case)
    if chosen:
        _resolve(log, chosen, timezone.now())
    log.save()
    return log


def _case_category(case: Case) -> str:
    return category_label(case.category) if case.category_id else ""


# --- the console's forms ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterSuggestions:
    suggestions: list[CategorySuggestion]
    preselect: CategorySuggestion | None  # the top one, confident enough to be chosen for the dispatcher


@dataclass(frozen=True)
class DispatchSuggestion:
    suggestion: DepartmentSuggestion
    disagrees: bool  # the model's department is not the routing rule's


def _open_log(case: Case, where: str, target: str) -> SuggestionLog | None:
    return SuggestionLog.objects.filter(
        case=case, target=target, where=where, outcome=SuggestionOutcome.PENDING
    ).first()


def case_category_suggestions(case: Case, *, user) -> RegisterSuggestions:
    """立案: the top 3 categories of the case's text; the top one pre-selected when its confidence reaches
    CIVICGRID_SUGGEST_PRESELECT_CONFIDENCE and the citizen's own pick differs (or there is none).

    Logged once per case until registration resolves it."""
    suggestions = suggest_categories(case_text(case), k=TOP)
    if not suggestions:
        return RegisterSuggestions([], None)
    top = suggestions[0]
    preselect = (
        top
        if top.confidence >= settings.CIVICGRID_SUGGEST_PRESELECT_CONFIDENCE
        and top.category.pk != case.category_id
        else None
    )
    if _open_log(case, SuggestionWhere.CONSOLE_REGISTER, Target.CATEGORY) is None:
        suggestion_log(
            where=SuggestionWhere.CONSOLE_REGISTER,
            target=Target.CATEGORY,
            text=case_text(case),
            ranked=category_ranked(suggestions),
            user=user,
            case=case,
        )
    return RegisterSuggestions(suggestions, preselect)


def case_department_suggestion(case: Case, *, user) -> DispatchSuggestion | None:
    """派遣: the model's department beside the routing rule's; logged once per case until dispatched."""
    suggestion = suggest_department(case_text(case))
    if suggestion is None:
        return None
    if _open_log(case, SuggestionWhere.CONSOLE_DISPATCH, Target.DEPARTMENT) is None:
        suggestion_log(
            where=SuggestionWhere.CONSOLE_DISPATCH,
            target=Target.DEPARTMENT,
            text=case_text(case),
            ranked=[(suggestion.department.code, suggestion.confidence)],
            user=user,
            case=case,
        )
    return DispatchSuggestion(suggestion, disagrees=suggestion.department.pk != case.routed_department_id)


# --- the case loop's reactions (cases.hooks) -------------------------------------------------------


def _guarded(fn):
    """A hook that never fails the move: its writes go in a savepoint, an error is logged."""

    def hook(case, event) -> None:
        try:
            with transaction.atomic():
                fn(case, event)
        except Exception:
            logger.exception("suggestion outcome of case %s (%s) not recorded", case.pk, event.action)

    hook.__name__ = fn.__name__
    hook.__qualname__ = fn.__qualname__
    return hook


def _resolve_all(logs, chosen: str) -> None:
    now = timezone.now()
    changed = []
    for log in logs:
        _resolve(log, chosen, now)
        changed.append(log)
    if changed:
        SuggestionLog.objects.bulk_update(changed, ["case", "chosen_label", "outcome", "resolved_at"])


@_guarded
def on_case_reported(case: Case, event) -> None:
    """上报: the reporter's unlinked log of this very text joins the case, with the citizen's category."""
    if not case.reporter_id:
        return
    # On the path of every report: one prepared statement, the same as SuggestionLog.objects.filter(
    # user_id=…, text_hash=…, target=CATEGORY, case__isnull=True) (core/rawsql.ModelLookup).
    logs = _unlinked_logs().fetch(case.reporter_id, text_hash(case.description), str(Target.CATEGORY))
    for log in logs:
        log.case = case
    _resolve_all(logs, _case_category(case))


@functools.cache
def _unlinked_logs() -> ModelLookup:
    return ModelLookup(SuggestionLog, ["user", "text_hash", "target"], null=["case"])


@_guarded
def on_case_registered(case: Case, event) -> None:
    """立案: the registered category is the final label of every category suggestion of the case."""
    chosen = _case_category(case)
    if chosen:
        _resolve_all(SuggestionLog.objects.filter(case=case, target=Target.CATEGORY), chosen)


def _department_code(department_id: int | None) -> str:
    if not department_id:
        return ""
    return Department.objects.filter(pk=department_id).values_list("code", flat=True).first() or ""


@_guarded
def on_case_dispatched(case: Case, event) -> None:
    """派遣: the department it went to (a suggestion already returned keeps its lesson)."""
    chosen = event.department.code if event.department_id else _department_code(case.department_id)
    if chosen:
        _resolve_all(
            SuggestionLog.objects.filter(case=case, target=Target.DEPARTMENT).exclude(
                outcome=SuggestionOutcome.RETURNED
            ),
            chosen,
        )


@_guarded
def on_case_returned(case: Case, event) -> None:
    """退回: the department that returned it was the suggested or the chosen one: the suggestion failed."""
    returned_by = event.department.code if event.department_id else ""
    if not returned_by:
        return
    now = timezone.now()
    changed = []
    for log in SuggestionLog.objects.filter(case=case, target=Target.DEPARTMENT).exclude(
        outcome=SuggestionOutcome.RETURNED
    ):
        if returned_by in (log.chosen_label, log.top_label):
            log.chosen_label = log.chosen_label or returned_by
            log.outcome = SuggestionOutcome.RETURNED
            log.resolved_at = now
            changed.append(log)
    if changed:
        SuggestionLog.objects.bulk_update(changed, ["chosen_label", "outcome", "resolved_at"])
