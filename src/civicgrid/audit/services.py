"""Writing the access audit, purging what has expired, and masking it for an erasure."""

from __future__ import annotations

import contextlib
import functools
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction

from civicgrid.audit.models import AccessEvent, AccessKind, ApiCall
from civicgrid.core import clock, immutable
from civicgrid.core.errors import DomainError
from civicgrid.core.masking import ERASED
from civicgrid.core.rawsql import ModelInsert

PURGE_BATCH = 5000
REASON_MAX = 500


def _ip(request) -> str | None:
    # REMOTE_ADDR: behind a proxy, the proxy sets it (e.g. gunicorn --forwarded-allow-ips).
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def access_record(
    *,
    kind: str,
    actor=None,
    request=None,
    subject=None,
    target: str = "",
    reason: str = "",
    credential: str = "",
    detail: dict | None = None,
) -> AccessEvent:
    """Append one access to the audit (in the caller's transaction, if there is one)."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AccessEvent.objects.create(
        at=clock.now(),
        kind=kind,
        actor=user,
        subject=subject,
        target=target[:100],
        reason=reason[:REASON_MAX],
        credential=credential[:40],
        detail=detail or {},
        ip=_ip(request),
    )


def personal_data_view_record(*, actor, request, case, reason: str, fields: list[str]) -> AccessEvent:
    """A case's unmasked reporter and contact data shown to `actor`, for `reason` (required)."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(
            "reason_required",
            "请填写查看联系方式的事由",
            "give the reason for viewing the contact details",
            field="reason",
        )
    if len(reason) > REASON_MAX:
        raise DomainError(
            "reason_too_long",
            f"事由最多 {REASON_MAX} 字",
            f"the reason is at most {REASON_MAX} characters",
            field="reason",
        )
    return access_record(
        kind=AccessKind.PERSONAL_DATA,
        actor=actor,
        request=request,
        subject=case.reporter if case.reporter_id and case.reporter_id != actor.pk else None,
        target=f"case:{case.number}",
        reason=reason,
        detail={"fields": fields},
    )


def export_record(*, actor, request, name: str, filters: dict, rows: int, personal: bool) -> AccessEvent:
    """A download: who, which export, with which filter, how many rows, with unmasked personal data or not."""
    return access_record(
        kind=AccessKind.EXPORT,
        actor=actor,
        request=request,
        target=name,
        detail={"filters": filters, "rows": rows, "personal_data": personal},
    )


def staff_change_record(*, actor, request, change) -> AccessEvent:
    """A manager's change to a staff account (accounts.staff.StaffChange): added, role, section,
    deactivated or reactivated, password reset (never the password)."""
    return access_record(
        kind=AccessKind.STAFF,
        actor=actor,
        request=request,
        subject=change.person,
        target=change.action,
        detail=change.detail,
    )


def retention_cutoff():
    return clock.now() - timedelta(days=settings.CIVICGRID_AUDIT_RETENTION_DAYS)


def audit_purge_expired() -> dict[str, int]:
    """Delete the audit entries older than the retention period (access records and model changes).

    The one deletion these append-only tables allow, under a RETENTION permit (core/immutable.py);
    a periodic task (`audit.purge_expired`), in batches so that no pass holds the tables long.
    """
    from auditlog.models import LogEntry

    cutoff = retention_cutoff()
    purged = {"audit.AccessEvent": 0, "auditlog.LogEntry": 0}
    for label, model, field in (
        ("audit.AccessEvent", AccessEvent, "at"),
        ("auditlog.LogEntry", LogEntry, "timestamp"),
    ):
        while True:
            ids = list(
                model.objects.filter(**{f"{field}__lt": cutoff})
                .order_by("pk")
                .values_list("pk", flat=True)[:PURGE_BATCH]
            )
            if not ids:
                break
            with transaction.atomic(), immutable.permit(immutable.RETENTION):
                purged[label] += model.objects.filter(pk__in=ids).delete()[0]
    return purged


def audit_erase_personal_data(*, person, phone: str) -> dict[str, int]:
    """Mask the phone number typed at failed logins (runs under an erasure permit)."""
    masked = AccessEvent.objects.filter(credential=phone).update(credential=ERASED)
    return {"audit.AccessEvent.credential": masked}


def api_call_record(
    *,
    client_id: int,
    key_prefix: str,
    method: str,
    endpoint: str,
    path: str,
    status: int,
    duration_ms: int,
    case_number: str = "",
    request_id: str = "",
) -> ApiCall:
    """Append one API call made with a client's key: one INSERT, written out once (core/rawsql.py) and run
    in autocommit — on the path of every keyed request, compiling it through the ORM inside a
    transaction cost a fifth of an intake's server time."""
    call = ApiCall(
        at=clock.now(),
        client_id=client_id,
        key_prefix=key_prefix[:12],
        method=method[:10],
        endpoint=endpoint[:200],
        path=path[:500],
        status=status,
        duration_ms=max(0, duration_ms),
        case_number=case_number[:20],
        request_id=request_id[:64],
    )
    sql, params = _api_call_insert().statement(call)
    # Inside a transaction (a test's, or a caller's), a savepoint keeps a failed insert from breaking it.
    with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            call.pk = cursor.fetchone()[0]
    return call


@functools.cache
def _api_call_insert() -> ModelInsert:
    return ModelInsert(ApiCall)


def api_call_purge_expired() -> int:
    """Delete the API calls older than CIVICGRID_API_CALL_RETENTION_DAYS (periodic task
    `audit.purge_api_calls`), in batches, under a RETENTION permit."""
    cutoff = clock.now() - timedelta(days=settings.CIVICGRID_API_CALL_RETENTION_DAYS)
    purged = 0
    while True:
        ids = list(
            ApiCall.objects.filter(at__lt=cutoff).order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH]
        )
        if not ids:
            return purged
        with transaction.atomic(), immutable.permit(immutable.RETENTION):
            purged += ApiCall.objects.filter(pk__in=ids).delete()[0]
