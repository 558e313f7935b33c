"""Keeping the hot issues (热点问题): the worker's incremental refresh, and the alert once per issue.

`hot_issues_refresh` reads the reports written since its watermark (`RefreshState.last_case_id`) and
re-clusters only them together with what they could join: every report of the eps_time before the
earliest of them and every hot issue with a report in that span. A quiet pass (no new report) only
cools and re-heats the active issues. `full=True` re-clusters the whole history. The new clusters
are matched to the issues they overlap most, which keep their ids (and `alerted_at`); an issue with
no report for eps_time cools (已降温) and leaves the top lists.

What counts as a report: every case except rejected ones (不予立案) and merged duplicates (已并案),
whose weight is 1 + its me-too count (附议; the intake adds one per merged duplicate too). Distinct
reporters are the people behind the case, its merged duplicates and its me-too reports (an account,
or a hotline caller's phone).

Everything runs in one transaction under a lock on the state row, so two workers never refresh at
once; an alert sets `alerted_at` in that transaction, and its notifications carry a dedupe key.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.cases.choices import Action, CaseKind, CaseStatus
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core import clock
from civicgrid.gazetteer.selectors import place_reverse
from civicgrid.grids.models import Cell
from civicgrid.grids.scope import area_of
from civicgrid.hotspots import clustering
from civicgrid.hotspots.models import HotIssue, HotIssueCase, HotIssueStatus, RefreshState
from civicgrid.notifications.services import notify
from civicgrid.taxonomy.models import Category
from civicgrid.taxonomy.routing import active_rules, route

logger = logging.getLogger("civicgrid.hotspots")

CHUNK = 900  # ids per IN (…) list
ALERT_KIND = "hot_issue"
TEXT_MAX = 500

ROW_FIELDS = (
    "id",
    "lat",
    "lon",
    "created_at",
    "category_id",
    "description",
    "reporter_id",
    "contact_phone",
    "me_too_count",
    "street_id",
    "cell_id",
    "department_id",
)


@dataclass
class RefreshResult:
    mode: str  # "full" | "incremental" | "quiet"
    new_reports: int
    reclustered: int
    issues: int  # clusters written (created or updated)
    created: int
    removed: int
    cooled: int
    alerted: int


def params() -> clustering.Params:
    return clustering.Params(
        eps_space=float(settings.CIVICGRID_HOT_ISSUE_EPS_METRES),
        eps_time=float(settings.CIVICGRID_HOT_ISSUE_EPS_DAYS) * 86400.0,
        min_samples=int(settings.CIVICGRID_HOT_ISSUE_MIN_REPORTS),
        text_threshold=float(settings.CIVICGRID_HOT_ISSUE_TEXT_SIMILARITY),
    )


def _reports() -> Q:
    return (
        Q(duplicate_of__isnull=True)
        & ~Q(status__in=[CaseStatus.REJECTED, CaseStatus.MERGED])
        & ~Q(kind=CaseKind.PRAISE)
    )


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for k in range(0, len(ids), CHUNK):
        yield ids[k : k + CHUNK]


def _state() -> RefreshState:
    RefreshState.objects.get_or_create(pk=1)
    return RefreshState.objects.select_for_update().get(pk=1)


def hot_issues_refresh(*, full: bool = False, now: datetime | None = None) -> RefreshResult:
    """Bring the hot issues up to date with the reports written since the last refresh (or all of them)."""
    now = now or clock.now()
    p = params()
    with transaction.atomic():
        state = _state()
        top_id = Case.objects.aggregate(m=Max("id"))["m"] or 0
        if full:
            rows = list(Case.objects.filter(_reports()).order_by("id").values_list(*ROW_FIELDS))
            old_ids = list(HotIssue.objects.values_list("id", flat=True))
            new_count, mode = len(rows), "full"
        else:
            new = list(
                Case.objects.filter(id__gt=state.last_case_id, id__lte=top_id).values_list(
                    "id", "duplicate_of_id", "created_at"
                )
            )
            if not new:
                rows, old_ids, new_count, mode = [], [], 0, "quiet"
            else:
                # A merged duplicate is one more report of its original: the original is what is new.
                dup_originals = [d for _, d, _ in new if d is not None]
                starts = [c for _, d, c in new if d is None]
                for ids in _chunks(dup_originals):
                    starts += list(Case.objects.filter(id__in=ids).values_list("created_at", flat=True))
                since = min(starts) - timedelta(seconds=p.eps_time) if starts else now
                old_ids = list(
                    HotIssue.objects.filter(last_report_at__gte=since).values_list("id", flat=True)
                )
                window = list(
                    Case.objects.filter(_reports(), created_at__gte=since)
                    .order_by("id")
                    .values_list(*ROW_FIELDS)
                )
                seen = {r[0] for r in window}
                extra = [
                    cid
                    for ids in _chunks(old_ids)
                    for cid in HotIssueCase.objects.filter(issue_id__in=ids).values_list("case_id", flat=True)
                    if cid not in seen
                ]
                for ids in _chunks(extra):
                    window += list(Case.objects.filter(_reports(), id__in=ids).values_list(*ROW_FIELDS))
                rows = sorted(window)
                new_count, mode = len(new), "incremental"
        written = created = removed = 0
        if mode != "quiet":
            written, created, removed = _recluster(rows, old_ids, p, now)
        cooled = _cool_and_heat(now, p)
        alerted = _alert_due(now)
        state.last_case_id = max(state.last_case_id, top_id)
        state.refreshed_at = now
        state.save(update_fields=["last_case_id", "refreshed_at"])
    return RefreshResult(mode, new_count, len(rows), written, created, removed, cooled, alerted)


def refresh_due() -> RefreshResult | None:
    """The worker's periodic task: a refresh at most every CIVICGRID_HOT_ISSUE_REFRESH_SECONDS."""
    last = RefreshState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()
    now = clock.now()
    if last is not None and (now - last).total_seconds() < settings.CIVICGRID_HOT_ISSUE_REFRESH_SECONDS:
        return None
    return hot_issues_refresh(now=now)


# --- clusters → rows ------------------------------------------------------------------------------


def _recluster(
    rows: list[tuple], old_ids: list[int], p: clustering.Params, now: datetime
) -> tuple[int, int, int]:
    if rows:
        ids = np.array([r[0] for r in rows])
        lat = np.array([r[1] for r in rows])
        lon = np.array([r[2] for r in rows])
        t = np.array([r[3].timestamp() for r in rows])
        categories = np.array([r[4] or 0 for r in rows])
        texts = [r[5] for r in rows]
        weights = np.array([1 + r[8] for r in rows])
        labels = clustering.cluster_labels(clustering.project(lat, lon), t, categories, texts, weights, p)
    else:
        ids, labels = np.empty(0, dtype=int), np.empty(0, dtype=int)
    groups: dict[int, list[int]] = defaultdict(list)
    for k, label in enumerate(labels):
        if label >= 0:
            groups[int(label)].append(k)
    clustered_ids = [int(ids[k]) for members in groups.values() for k in members]
    reporters = _reporters(clustered_ids)

    # Which old issue each case belonged to, to keep the issues' ids where the clusters go on.
    old_of: dict[int, int] = {}
    for chunk in _chunks(old_ids):
        old_of.update(HotIssueCase.objects.filter(issue_id__in=chunk).values_list("case_id", "issue_id"))
    overlaps = []
    for label, members in groups.items():
        counts = Counter(old_of[int(ids[k])] for k in members if int(ids[k]) in old_of)
        overlaps += [(n, label, issue_id) for issue_id, n in counts.items()]
    match: dict[int, int] = {}
    taken: set[int] = set()
    for _n, label, issue_id in sorted(overlaps, key=lambda o: (-o[0], o[1], o[2])):
        if label not in match and issue_id not in taken:
            match[label] = issue_id
            taken.add(issue_id)
    gone = [i for i in old_ids if i not in taken]
    for chunk in _chunks(old_ids):
        HotIssueCase.objects.filter(issue_id__in=chunk).delete()
    for chunk in _chunks(gone):
        HotIssue.objects.filter(id__in=chunk).delete()
    kept = {i.pk: i for chunk in _chunks(list(taken)) for i in HotIssue.objects.filter(id__in=chunk)}

    issues: list[HotIssue] = []
    members_of: list[list[int]] = []
    cache: dict = {}
    for label in sorted(groups):
        members = [rows[k] for k in groups[label]]
        issue = kept.get(match.get(label, -1)) or HotIssue(created_at=now, alerted_at=None)
        _describe(issue, members, reporters, now, p, cache)
        issues.append(issue)
        members_of.append([r[0] for r in members])
    new = [i for i in issues if i.pk is None]
    kept_issues = [i for i in issues if i.pk is not None]
    HotIssue.objects.bulk_create(new, batch_size=500)
    # One UPDATE per kept issue: cheaper than bulk_update's CASE … WHEN over every field.
    for issue in kept_issues:
        issue.save(update_fields=DESCRIBED)
    HotIssueCase.objects.bulk_create(
        [
            HotIssueCase(issue_id=i.pk, case_id=c)
            for i, cs in zip(issues, members_of, strict=True)
            for c in cs
        ],
        batch_size=2000,
    )
    return len(issues), len(new), len(gone)


DESCRIBED = [
    "status",
    "first_report_at",
    "last_report_at",
    "lat",
    "lon",
    "address",
    "street",
    "cell",
    "category",
    "category_mix",
    "department",
    "heat",
    "representative_case",
    "representative_text",
    "case_count",
    "report_count",
    "reporter_count",
    "updated_at",
]


def _reporters(case_ids: list[int]) -> dict[int, set[str]]:
    """Distinct people behind each case: its reporter, its merged duplicates' and its me-too reports'."""
    out: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(case_ids):
        for original, reporter, phone, pk in Case.objects.filter(duplicate_of_id__in=chunk).values_list(
            "duplicate_of_id", "reporter_id", "contact_phone", "id"
        ):
            out[original].add(f"u{reporter}" if reporter else (f"p{phone}" if phone else f"c{pk}"))
        for case_id, actor, pk in CaseEvent.objects.filter(
            action=Action.ME_TOO, case_id__in=chunk
        ).values_list("case_id", "actor_id", "id"):
            out[case_id].add(f"u{actor}" if actor else f"e{pk}")
    return out


def _describe(
    issue: HotIssue, members: list[tuple], reporters: dict, now: datetime, p: clustering.Params, cache: dict
) -> None:
    weights = np.array([1 + r[8] for r in members], dtype=float)
    people: set[str] = set()
    for r in members:
        people.add(f"u{r[6]}" if r[6] else (f"p{r[7]}" if r[7] else f"c{r[0]}"))
        people |= reporters.get(r[0], set())
    issue.first_report_at = min(r[3] for r in members)
    issue.last_report_at = max(r[3] for r in members)
    issue.lat = float(np.average([r[1] for r in members], weights=weights))
    issue.lon = float(np.average([r[2] for r in members], weights=weights))
    try:
        found = place_reverse(issue.lat, issue.lon)
    except Exception:  # noqa: BLE001 - the address is a courtesy: no gazetteer loaded is no address
        logger.exception("hot issue: no address for %s,%s", issue.lat, issue.lon)
        found = None
    issue.address = (found.address if found else "")[:200]
    issue.street_id = _mode(r[9] for r in members)
    issue.cell_id = _mode(r[10] for r in members)
    mix = Counter(r[4] for r in members if r[4])
    issue.category_id = mix.most_common(1)[0][0] if mix else None
    issue.category_mix = {str(c): n for c, n in mix.most_common()}
    issue.department_id = _mode(r[11] for r in members) or _routed(issue, cache)
    pick = members[clustering.representative([r[5] for r in members])]
    issue.representative_case_id = pick[0]
    issue.representative_text = pick[5][:TEXT_MAX]
    issue.case_count = len(members)
    issue.report_count = int(weights.sum())
    issue.reporter_count = len(people)
    age = (now - issue.last_report_at).total_seconds()
    issue.heat = round(clustering.heat(issue.report_count, issue.reporter_count, age), 3)
    issue.status = HotIssueStatus.ACTIVE if age <= p.eps_time else HotIssueStatus.COOLED
    issue.updated_at = now


def _mode(values: Iterable) -> int | None:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else None


def _routed(issue: HotIssue, cache: dict) -> int | None:
    """The routing rule's department for the issue's main category at its cell (no case dispatched yet);
    the rules, categories and cells are read once per refresh (`cache`)."""
    if issue.category_id is None:
        return None
    if "rules" not in cache:
        cache["rules"] = active_rules()
        cache["categories"] = {}
        cache["cells"] = {}
    categories, cells = cache["categories"], cache["cells"]
    if issue.category_id not in categories:
        categories[issue.category_id] = Category.objects.filter(pk=issue.category_id).first()
    if issue.cell_id and issue.cell_id not in cells:
        cells[issue.cell_id] = Cell.objects.filter(pk=issue.cell_id).values_list("code", flat=True).first()
    rule = route(categories[issue.category_id], cells.get(issue.cell_id), cache["rules"])
    return rule.department_id if rule else None


def _cool_and_heat(now: datetime, p: clustering.Params) -> int:
    """Re-heat the active issues for the time that passed; cool those with no report for eps_time."""
    active = HotIssue.objects.filter(status=HotIssueStatus.ACTIVE).values_list(
        "id", "report_count", "reporter_count", "last_report_at", "heat"
    )
    cooled = 0
    for pk, reports, reporters, last, old_heat in list(active):
        age = (now - last).total_seconds()
        heat = round(clustering.heat(reports, reporters, age), 3)
        if age > p.eps_time:
            HotIssue.objects.filter(pk=pk).update(heat=heat, status=HotIssueStatus.COOLED)
            cooled += 1
        elif heat != old_heat:
            HotIssue.objects.filter(pk=pk).update(heat=heat)
    return cooled


# --- alerts ---------------------------------------------------------------------------------------


def alert_recipients(issue: HotIssue) -> list[User]:
    """The leaders whose command area holds the issue (all city-wide leaders), and the responsible
    department's admins (its handlers when it has no admin)."""
    people = []
    for leader in User.objects.filter(is_active=True, role=Role.LEADER).order_by("id"):
        area = area_of(leader)
        if area is None or area.covers(issue.street_id):
            people.append(leader)
    if issue.department_id:
        staff = list(
            User.objects.filter(
                is_active=True,
                department_id=issue.department_id,
                role__in=[Role.DEPARTMENT_ADMIN, Role.HANDLER],
            ).order_by("id")
        )
        admins = [u for u in staff if u.role == Role.DEPARTMENT_ADMIN]
        people += admins or staff
    return people


def _alert_due(now: datetime) -> int:
    threshold = float(settings.CIVICGRID_HOT_ISSUE_ALERT_HEAT)
    due = list(
        HotIssue.objects.select_for_update(of=("self",))
        .filter(status=HotIssueStatus.ACTIVE, alerted_at__isnull=True, heat__gte=threshold)
        .select_related("street", "category")
        .order_by("-heat")
    )
    for issue in due:
        hot_issue_alert(issue=issue, now=now)
    return len(due)


def hot_issue_alert(*, issue: HotIssue, now: datetime) -> int:
    """Tell the leaders and the responsible department of a new hot issue, once (`alerted_at`)."""
    where = issue.address or (issue.street.name if issue.street_id else "")
    category = issue.category.name if issue.category_id else ""
    title = f"新热点问题：{category or issue.representative_text[:20]}（{issue.case_count} 件，热度 {issue.heat:.0f}）"
    body = (
        f"{where} · {issue.report_count} 次上报，{issue.reporter_count} 人 · "
        f"{issue.representative_text[:120]}"
    )
    sent = 0
    for user in alert_recipients(issue):
        link = f"/dashboard/hotspots/{issue.pk}/" if user.role == Role.LEADER else "/console/"
        queued = notify(
            recipient=user,
            kind=ALERT_KIND,
            title=title,
            body=body,
            case_id=issue.representative_case_id,
            link=link,
            dedupe_key=f"hot-issue:{issue.pk}:{user.pk}",
        )
        sent += queued is not None
    issue.alerted_at = now
    issue.save(update_fields=["alerted_at"])
    return sent
