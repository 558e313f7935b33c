"""Material review (材料审核): a responsible unit submits documents and photos for a material standard of a
round before the round ends; a reviewer (督查员) scores it, 0 … the standard's points, with a comment, or
returns it for more — once: the second submission is the last.

    attempt 1 SUBMITTED ──review──> SCORED
                        └─return──> RETURNED ──submit──> attempt 2 SUBMITTED ──review──> SCORED

Two submissions at once cannot both be first (the unique attempt per round × standard × unit, with the
rows locked), and two reviews at once cannot both land (a conditional update on the state).
Scoring (`scoring.py`) takes each unit's latest reviewed attempt.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.core.text import text_check
from civicgrid.evaluation.models import (
    MaterialFile,
    MaterialState,
    MaterialSubmission,
    Method,
    Round,
    RoundStatus,
    Standard,
)

MAX_FILES = 20
EXTENSIONS = frozenset(
    {".pdf", ".jpg", ".jpeg", ".png", ".webp", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx"}
)


def max_file_bytes() -> int:
    return int(getattr(settings, "CIVICGRID_EVALUATION_MATERIAL_MAX_BYTES", 20 * 1024 * 1024))


def round_deadline(round: Round) -> datetime:
    """Materials are accepted until the end of the round's last day (local time)."""
    return timezone.make_aware(datetime.combine(round.ends_on, time.max))


def _files_check(files: Sequence) -> list:
    files = list(files or ())
    if not files:
        raise DomainError(
            "material_files_required", "请上传至少一个材料文件", "upload at least one file", field="files"
        )
    if len(files) > MAX_FILES:
        raise DomainError(
            "material_too_many_files",
            f"每次最多上传 {MAX_FILES} 个文件",
            f"at most {MAX_FILES} files per submission",
            field="files",
        )
    limit = max_file_bytes()
    for f in files:
        name = os.path.basename(getattr(f, "name", "") or "")
        ext = os.path.splitext(name)[1].lower()
        if ext not in EXTENSIONS:
            raise DomainError(
                "material_file_type",
                f"文件「{name}」的类型不支持（支持 PDF、图片、Word、Excel、PPT）",
                f"the file {name!r} is of a type not accepted (PDF, images, Word, Excel, PowerPoint)",
                field="files",
            )
        if (getattr(f, "size", 0) or 0) > limit:
            raise DomainError(
                "material_file_too_large",
                f"文件「{name}」超过 {limit // (1024 * 1024)} MB",
                f"the file {name!r} is over {limit // (1024 * 1024)} MB",
                field="files",
            )
        text_check(name, field="files", max_length=200, required=True)
    return files


def material_submit(
    *,
    round: Round,
    standard: Standard,
    unit: Department,
    actor: User,
    files: Sequence,
    note: str = "",
) -> MaterialSubmission:
    """Submit a unit's materials for a material standard; a second submission only after a return."""
    if not (user_can(actor, Capability.HANDLE) and actor.department_id == unit.pk):
        raise PermissionDenied(
            "material_not_your_unit",
            "只有责任单位的工作人员可以报送本单位的材料",
            "only the staff of the responsible unit may submit its materials",
        )
    if standard.method != Method.MATERIAL:
        raise DomainError(
            "material_not_material_standard",
            f"测评标准 {standard.code} 不是材料审核类指标",
            f"the standard {standard.code} is not assessed by material review",
            field="standard",
        )
    if standard.content.item.edition_id != round.edition_id:
        raise DomainError(
            "material_wrong_edition",
            "该测评标准不属于本轮次使用的测评体系",
            "the standard is not of the edition this round uses",
            field="standard",
        )
    note = text_check(note, field="note", max_length=500)
    files = _files_check(files)
    now = clock.now()
    try:
        with transaction.atomic():
            round = Round.objects.select_for_update().get(pk=round.pk)
            if round.status != RoundStatus.OPEN or now > round_deadline(round):
                raise Conflict(
                    "material_round_closed",
                    f"测评轮次「{round.name}」不在报送期内（截止 {round.ends_on:%Y-%m-%d}）",
                    f"the round {round.name!r} does not take materials now (until {round.ends_on:%Y-%m-%d})",
                )
            earlier = list(
                MaterialSubmission.objects.select_for_update()
                .filter(round=round, standard=standard, unit=unit)
                .order_by("-attempt")
            )
            if earlier:
                last = earlier[0]
                if last.state != MaterialState.RETURNED:
                    raise Conflict(
                        "material_already_submitted",
                        "本单位已报送该项材料"
                        + ("，正在评审" if last.state == MaterialState.SUBMITTED else "，已评分"),
                        "the unit has already submitted materials for this standard",
                    )
                if last.attempt >= 2:
                    raise Conflict(
                        "material_no_more_resubmission",
                        "材料只能补充报送一次",
                        "materials may be submitted again only once",
                    )
            submission = MaterialSubmission.objects.create(
                round=round,
                standard=standard,
                unit=unit,
                attempt=(earlier[0].attempt + 1) if earlier else 1,
                note=note,
                submitted_by=actor,
                submitted_at=now,
            )
            for f in files:
                MaterialFile.objects.create(submission=submission, file=f, name=os.path.basename(f.name))
    except IntegrityError as exc:  # another submission of the same attempt got in first
        raise Conflict(
            "material_already_submitted",
            "本单位已报送该项材料",
            "the unit has already submitted materials for this standard",
        ) from exc
    return submission


def material_review(
    *,
    submission: MaterialSubmission,
    reviewer: User,
    score: Decimal | str | int | float,
    comment: str = "",
    return_for_more: bool = False,
) -> MaterialSubmission:
    """Score a submission (0 … the standard's points) with a comment; `return_for_more` sends the first
    attempt back for one re-submission (the score given stands unless the unit submits again)."""
    if not user_can(reviewer, Capability.INSPECT):
        raise PermissionDenied(
            "material_review_denied", "只有督查员可以评审材料", "only inspectors review materials"
        )
    points = submission.standard.points
    try:
        value = Decimal(str(score)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(
            "material_score_invalid", "得分必须是数字", "the score must be a number", field="score"
        ) from exc
    if not value.is_finite() or value < 0 or value > points:
        raise DomainError(
            "material_score_out_of_range",
            f"得分必须在 0 到 {points} 之间",
            f"the score must be between 0 and {points}",
            field="score",
        )
    comment = text_check(comment, field="comment", max_length=500, required=return_for_more)
    if return_for_more and submission.attempt >= 2:
        raise Conflict(
            "material_no_more_resubmission",
            "这已是补充报送的材料，不能再次退回",
            "this is already the re-submission; it cannot be returned again",
        )
    state = MaterialState.RETURNED if return_for_more else MaterialState.SCORED
    with transaction.atomic():
        updated = MaterialSubmission.objects.filter(pk=submission.pk, state=MaterialState.SUBMITTED).update(
            state=state, score=value, comment=comment, reviewed_by=reviewer, reviewed_at=clock.now()
        )
        if not updated:
            raise Conflict(
                "material_already_reviewed", "该材料已评审", "this submission has already been reviewed"
            )
    submission.refresh_from_db()
    return submission
