"""Cases (案件), their immutable event log, deadlines, photos, followers and extension requests."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Department
from civicgrid.cases.choices import OPEN_STATUSES, Action, CaseKind, CaseStatus, Channel, Rating
from civicgrid.core import immutable
from civicgrid.core.models import ChoiceLabels
from civicgrid.grids.models import Cell, Community, Street
from civicgrid.taxonomy.choices import ClockUnit, Step, Urgency
from civicgrid.taxonomy.models import Category


def hidden_statuses() -> list[str]:
    """The statuses in which the public never see a case: no case at all (不予立案, 并案) and, unless
    CIVICGRID_PUBLISH_BEFORE_REGISTRATION, a report the centre has not registered (立案) yet — its text
    has not been read by anyone (a neighbour's name and phone, a plate)."""
    hidden = [CaseStatus.MERGED, CaseStatus.REJECTED]
    if not settings.CIVICGRID_PUBLISH_BEFORE_REGISTRATION:
        hidden.append(CaseStatus.REPORTED)
    return sorted(hidden)


class CaseQuerySet(models.QuerySet):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def public(self) -> CaseQuerySet:
        """The cases anyone may see (masked): marked public, and in a status the public see."""
        return self.filter(is_public=True).exclude(status__in=hidden_statuses())

    def joinable(self) -> CaseQuerySet:
        """The cases anyone may join ("me too", 附议) by number: marked public and a case (not rejected,
        not merged), registered or not — the nearby list offers them before 立案 without their text."""
        return self.filter(is_public=True).exclude(status__in=[CaseStatus.REJECTED, CaseStatus.MERGED])

    def in_bbox(self, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> CaseQuerySet:
        return self.filter(lon__gte=min_lon, lon__lte=max_lon, lat__gte=min_lat, lat__lte=max_lat)


# A report an external system named by its own id (`external_id`) has an idempotency key starting so
# (cases/intake.py `external_key`); its `source_ref` is that id.
EXTERNAL_KEY_PREFIX = "ext:"


class Case(ChoiceLabels, models.Model):
    """One report followed from intake (上报) to closing (结案) and the reporter's rating (评价).

    `status`, the current step's clock (`step`, `due_at`, `warn_at`) and the counters are
    changed only by `cases.workflow.case_transition`, which appends a CaseEvent for every move.
    """

    number = models.CharField(_("案件编号"), max_length=20, unique=True, null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=12, choices=CaseKind.choices, default=CaseKind.COMPLAINT)
    channel = models.CharField(_("来源"), max_length=12, choices=Channel.choices, default=Channel.APP)
    # No single-column index where a composite of Meta.indexes starts with the column (category:
    # case_dup_idx, cell: case_cell_idx, department: case_dept_idx, status: case_light_idx,
    # created_at: case_map_idx): each index is written by every report.
    category = models.ForeignKey(
        Category,
        verbose_name=_("分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    description = models.TextField(_("问题描述"), max_length=2000)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    cell = models.ForeignKey(
        Cell,
        verbose_name=_("单元网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("社区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    street = models.ForeignKey(
        Street,
        verbose_name=_("街道"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_cases",
    )
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_public = models.BooleanField(_("公开"), default=True)
    # What the public read instead of the description, written by the centre (cases.publication);
    # every edit is kept in CaseSummaryEdit.
    public_summary = models.TextField(_("公开摘要"), max_length=2000, blank=True, default="")
    source_ref = models.CharField(
        _("来源对象"),
        max_length=80,
        blank=True,
        help_text=_("扫码上报时的码等"),
    )

    status = models.CharField(
        _("状态"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.REPORTED
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("处置部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    # Indexed only where set (case_routed_idx, case_original_idx): empty for a new report.
    routed_department = models.ForeignKey(
        Department,
        verbose_name=_("规则推荐部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("并入案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        db_index=False,
    )
    me_too_count = models.PositiveIntegerField(_("附议数"), default=0)
    supervised = models.BooleanField(_("督办"), default=False)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)

    created_at = models.DateTimeField(_("上报时间"))
    registered_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    # The clock of the current step (empty when no limit runs: final or 挂账).
    step = models.CharField(_("当前环节"), max_length=10, choices=Step.choices, blank=True)
    due_at = models.DateTimeField(_("时限"), null=True, blank=True)
    warn_at = models.DateTimeField(_("黄灯时刻"), null=True, blank=True)

    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True, editable=False)
    # SHA-256 of the submission the key came with (`intake.submission_digest`): a retry must match it.
    idempotency_digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-created_at"]
        # On PostgreSQL the table keeps 10 % of each page free (fillfactor 90, migration cases 0011), so an
        # update of no indexed column — a duplicate's me-too count — is HOT and enters no index.
        indexes = [
            models.Index(fields=["category", "created_at"], name="case_dup_idx"),
            # The duplicate search at intake (cases/intake.find_original): category, then a 50 m box.
            models.Index(
                fields=["category", "lon", "lat"],
                condition=models.Q(duplicate_of__isnull=True),
                name="case_near_idx",
            ),
            models.Index(fields=["status", "due_at"], name="case_light_idx"),
            # A column that a new report leaves empty (department, registered_at, routed_department,
            # duplicate_of) is indexed only where it is set: every query on it asks for a value
            # (=, IN, a range), which implies IS NOT NULL, and neither database then needs the NULLs; an
            # index that a report does not enter costs it nothing (SQLite: one WAL page fewer per index
            # at each commit). The query plans are checked in cases/tests/test_index_plans.py.
            models.Index(
                fields=["department", "status"],
                condition=models.Q(department__isnull=False),
                name="case_dept_idx",
            ),
            models.Index(fields=["cell", "status"], name="case_cell_idx"),
            models.Index(fields=["lon", "lat"], name="case_lonlat_idx"),
            # The open cases are a few thousand among millions: the "now" figures of the dashboard
            # (open, lights, supervised, long-term by street/department/category) read only this index.
            models.Index(
                fields=["status", "due_at", "warn_at", "street", "department", "category", "supervised"],
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
                name="case_open_idx",
            ),
            models.Index(
                fields=["registered_at"],
                condition=models.Q(registered_at__isnull=False),
                name="case_registered_idx",
            ),
            models.Index(
                fields=["routed_department"],
                condition=models.Q(routed_department__isnull=False),
                name="case_routed_idx",
            ),
            models.Index(
                fields=["duplicate_of"],
                condition=models.Q(duplicate_of__isnull=False),
                name="case_original_idx",
            ),
            # The city map (maps.layers: case points, hexagon counts, the points-or-bins count): the
            # period's cases in a box with the map's filters, read from this index alone (index-only on
            # PostgreSQL, covering on SQLite) instead of fetching every case of the period from the table.
            models.Index(
                fields=["created_at", "lon", "lat", "is_public", "status", "category", "street", "id"],
                name="case_map_idx",
            ),
            # The map's duplicate hot spots (maps.layers.layer_duplicates) join a year's me-too events
            # (~18 000 at a million cases) to their case for the view and the filters: from this index
            # alone rather than from ~18 000 scattered rows of the table (on PostgreSQL 114 → 73 ms).
            models.Index(
                fields=["id", "lon", "lat", "is_public", "status", "category", "street"], name="case_spot_idx"
            ),
            # The cases the public may not see (not public, rejected, merged, not registered yet: the
            # complement of CaseQuerySet.public() by default), a few in a hundred: the public's binned
            # city map subtracts them per cell from the rollup (maps.layers._public_counts) instead of
            # counting the period's cases. With CIVICGRID_PUBLISH_BEFORE_REGISTRATION the query keeps
            # this condition and adds one (maps.selectors.hidden_from_public), so the index still serves.
            models.Index(
                fields=["created_at", "cell", "is_public", "status"],
                condition=models.Q(is_public=False) | models.Q(status__in=["merged", "rejected", "reported"]),
                name="case_hidden_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def external_id(self) -> str:
        """The id an external system reported the case under (a 12345 order number), or "" (none, or a
        source_ref of another kind: a scanned code)."""
        return self.source_ref if (self.idempotency_key or "").startswith(EXTERNAL_KEY_PREFIX) else ""

    @property
    def is_published(self) -> bool:
        """The same rule as `CaseQuerySet.public()`, for a case already in hand."""
        return bool(self.number) and self.is_public and self.status not in hidden_statuses()


class CaseEvent(ChoiceLabels, models.Model):
    """An immutable line of a case's history: who did what, when, from which status to which.

    Append-only in the database too (core/immutable.py, migration cases 0012): no event is deleted
    — nor, therefore, any case — and none of its columns changes except `counted`, the rollups'
    mark, and `note`, which only an erasure of personal data may mask.
    """

    IMMUTABLE = immutable.Columns(bookkeeping=("counted",), maskable=("note",))

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=12, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=CaseStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_role = models.CharField(_("角色"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )  # event_dept_idx
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    # For a move that ends a timed step: was it within the limit (the indicators count these).
    on_time = models.BooleanField(_("按时"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    # Counted into the rollups (analytics.rollups.apply_pending claims uncounted rows).
    counted = models.BooleanField(_("已汇总"), default=False, editable=False)

    class Meta:
        verbose_name = _("案件事件")
        verbose_name_plural = _("案件事件")
        ordering = ["created_at", "id"]
        indexes = [
            # A report's events (REPORT, MERGE, ME_TOO) have no department: indexed only where one is set.
            models.Index(
                fields=["department", "action", "created_at"],
                condition=models.Q(department__isnull=False),
                name="event_dept_idx",
            ),
            models.Index(fields=["id"], condition=models.Q(counted=False), name="event_uncounted_idx"),
            # Events of an action in a period (drill-downs, rollups, the admin's filter) and, from this
            # index alone, the map's duplicate hot spots (maps.layers.layer_duplicates): the period's
            # me-too events with their case. (No separate (action, created_at) index: this one starts
            # with the same columns, and every report would write both.)
            models.Index(fields=["action", "created_at", "case"], name="event_map_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("case events are immutable")  # the audit trail is append-only
        super().save(*args, **kwargs)


class CaseDeadline(ChoiceLabels, models.Model):
    """The time limit of one step of one case, as it was set; extensions move `due_at` (and say so)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    step = models.CharField(_("环节"), max_length=10, choices=Step.choices)
    started_at = models.DateTimeField(_("开始"))
    limit_hours = models.DecimalField(_("时限 (小时)"), max_digits=7, decimal_places=2)
    unit = models.CharField(_("计时方式"), max_length=10, choices=ClockUnit.choices)
    extended_hours = models.DecimalField(_("延期 (小时)"), max_digits=7, decimal_places=2, default=0)
    due_at = models.DateTimeField(_("时限"))
    warn_at = models.DateTimeField(_("黄灯时刻"))
    completed_at = models.DateTimeField(_("完成"), null=True, blank=True)
    on_time = models.BooleanField(_("按时"), null=True, blank=True)
    overdue_notified = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("环节时限")
        verbose_name_plural = _("环节时限")
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["completed_at", "due_at"], name="deadline_open_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.step} due {self.due_at:%Y-%m-%d %H:%M}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已驳回")
    LAPSED = "lapsed", _("已失效")  # the step ended before anyone decided


class ExtensionRequest(models.Model):
    """延期申请: a department asks for more time on the current step."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extension_requests")
    deadline = models.ForeignKey(CaseDeadline, on_delete=models.CASCADE, related_name="extension_requests")
    hours = models.DecimalField(_("延长 (小时)"), max_digits=7, decimal_places=2)
    reason = models.CharField(_("理由"), max_length=500)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="pending"), name="one_pending_extension_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.hours}h {self.status}"


def private_storage():
    """Originals keep their EXIF (location): they live outside the public media folder."""
    return storages["private"]


def _photo_path(instance: StoredPhoto, kind: str, filename: str) -> str:
    return f"{instance.FOLDER}/{kind}/{timezone.now():%Y/%m}/{filename}"


def upload_original(instance: StoredPhoto, filename: str) -> str:
    return _photo_path(instance, "originals", filename)


def upload_public(instance: StoredPhoto, filename: str) -> str:
    return _photo_path(instance, "photos", filename)


def upload_thumbnail(instance: StoredPhoto, filename: str) -> str:
    return _photo_path(instance, "thumbs", filename)


class StoredPhoto(models.Model):
    """A stored photo: the original kept privately, a public copy without EXIF, a thumbnail.

    Filled by `cases.photostore.photo_save` from a ProcessedPhoto; subclasses add what it belongs to
    and the folder (`FOLDER`) their files go into.
    """

    FOLDER = "photos"
    original = models.FileField(_("原图"), storage=private_storage, upload_to=upload_original)
    public = models.FileField(_("公开图"), upload_to=upload_public)
    thumbnail = models.FileField(_("缩略图"), upload_to=upload_thumbnail)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        abstract = True
        ordering = ["id"]


class PhotoStage(models.TextChoices):
    REPORT = "report", _("上报照片")
    FEEDBACK = "feedback", _("处置照片")
    VERIFY = "verify", _("核查照片")


# The photos anyone may see of a public case (its public page shows the result, not the reporter's
# photos); everything else only those who may open the case (cases.access.access_case_photo).
PUBLIC_PHOTO_STAGES = frozenset({PhotoStage.FEEDBACK})


class CasePhoto(StoredPhoto):
    """A photo of a case, taken at report, feedback or verification."""

    FOLDER = "cases"
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    stage = models.CharField(_("阶段"), max_length=10, choices=PhotoStage.choices)

    class Meta(StoredPhoto.Meta):
        verbose_name = _("案件照片")
        verbose_name_plural = _("案件照片")
        # /media/ finds the photo of a requested file to check who may see it (cases.access).
        indexes = [
            models.Index(fields=["public"], name="casephoto_public_idx"),
            models.Index(fields=["thumbnail"], name="casephoto_thumbnail_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage} {self.sha256[:8]}"


class CaseFollower(models.Model):
    """Someone who follows a case: the reporter of a merged duplicate, or a "me too" (附议)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_cases"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("关注")
        verbose_name_plural = _("关注")
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="casefollower_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.case_id}"


class CaseSummaryEdit(models.Model):
    """One edit of a case's public summary (公开摘要): who wrote what, when — the summary's history.

    Not a CaseEvent: the summary is what the public read, not a move of the case loop (no status,
    no clock, nothing for the rollups or the hooks). Append-only in the database too (core/immutable.py,
    migration cases 0013).
    """

    IMMUTABLE = immutable.Columns()

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="summary_edits")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("公开摘要"), blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("公开摘要修改")
        verbose_name_plural = _("公开摘要修改")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} summary @ {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("summary edits are immutable")
        super().save(*args, **kwargs)


class CaseCounter(models.Model):
    """The last sequence number given out on a day (case numbers are YYYYMMDD + 5 digits)."""

    day = models.CharField(max_length=8, unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("案件编号计数")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class PhotoUploadWindow(models.Model):
    """How many photos a person has sent in one hour (the upload rate limit, `cases.uploads`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    photos = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("照片上传计数")
        constraints = [
            models.UniqueConstraint(fields=["user", "window_start"], name="photouploadwindow_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.window_start:%Y-%m-%d %H:%M}: {self.photos}"
