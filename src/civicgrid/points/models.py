"""Citizen points (市民积分): the append-only ledger, its rules, deductions and appeals, honours, rewards.

Every change of a balance is one `PointsEntry`; nothing is ever edited or deleted: a correction is a
reversal entry (`reverses`) of the opposite sign. The database refuses it too (core/immutable.py,
migration points 0003): entries and rule versions are never deleted and their columns never change,
except an entry's `note`, which only an erasure of personal data may mask. `PointsAccount.balance` is a cache of the sum of
the person's entries, updated with F() in the same transaction as the entry (a test checks it).
All writes go through `points.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import StoredPhoto
from civicgrid.core import immutable
from civicgrid.grids.models import Community
from civicgrid.points.choices import AppealStatus, HonourStatus, Reason, UncivilBehaviour, UncivilStatus


class AppendOnly(models.Model):
    """Rows that are written once: save() refuses an update and delete() refuses."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} rows are append-only")


class PointsRule(AppendOnly):
    """One version of the rule for a reason: points per unit and a monthly cap.

    Editing a rule in the admin writes a new version; entries keep a link to the version that
    explained them. The current rule of a reason is its highest version.
    """

    IMMUTABLE = immutable.Columns()

    reason = models.CharField(_("事由"), max_length=20, choices=Reason.choices)
    version = models.PositiveIntegerField(_("版本"))
    points = models.PositiveIntegerField(
        _("分值"),
        help_text=_("扣分事由填正数，记账时自动为负"),
    )
    unit = models.CharField(_("单位"), max_length=10, default="次")
    monthly_cap = models.PositiveIntegerField(_("每月上限"), default=0, help_text=_("0 表示不设上限"))
    description = models.CharField(_("规则说明"), max_length=300)
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("生效时间"), editable=False)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["reason", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["reason", "version"], name="pointsrule_reason_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} v{self.version}: {self.points}/{self.unit}"


class PointsAccount(models.Model):
    """A person's account: the cached balance (= sum of entries) and the community for rankings."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("市民"),
        on_delete=models.PROTECT,
        related_name="points_account",
    )
    balance = models.IntegerField(_("余额"), default=0)
    community = models.ForeignKey(
        Community,
        verbose_name=_("社区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="points_accounts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")

    def __str__(self) -> str:
        return f"{self.person} {self.balance}"


class PointsEntry(AppendOnly):
    """One immutable line of the ledger. `source_key` is unique: one source never counts twice."""

    IMMUTABLE = immutable.Columns(maskable=("note",))

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("市民"),
        on_delete=models.PROTECT,
        related_name="points_entries",
    )
    delta = models.IntegerField(_("积分变动"))
    reason = models.CharField(_("事由"), max_length=20, choices=Reason.choices)
    rule = models.ForeignKey(
        PointsRule,
        verbose_name=_("规则版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    source_key = models.CharField(_("来源键"), max_length=120, unique=True)
    source_type = models.CharField(_("来源类型"), max_length=40, blank=True)
    source_id = models.CharField(_("来源编号"), max_length=64, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("冲正"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    explanation = models.CharField(_("说明"), max_length=300, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "reason", "created_at"], name="pointsentry_person_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.delta:+d} {self.reason} ({self.source_key})"


class UncivilRecord(models.Model):
    """不文明行为: recorded by an inspector with evidence; deducted at once, appealable in a window.

    `status` is changed only by the services (appeal, review, confirmation after the window).
    """

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("当事人"),
        on_delete=models.PROTECT,
        related_name="uncivil_records",
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督查员"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    behaviour = models.CharField(_("行为"), max_length=20, choices=UncivilBehaviour.choices)
    points = models.PositiveIntegerField(_("扣分"))
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    address = models.CharField(_("地点"), max_length=200)
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    source_ref = models.CharField(
        _("来源对象"), max_length=80, blank=True, help_text=_("扫码记录时的码（户码、电动车码）。")
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=UncivilStatus.choices,
        default=UncivilStatus.RECORDED,
        db_index=True,
    )
    appeal_deadline = models.DateTimeField(_("申诉截止"))
    entry = models.OneToOneField(
        PointsEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), db_index=True)
    decided_at = models.DateTimeField(_("确认/撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("不文明行为记录")
        verbose_name_plural = _("不文明行为记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_behaviour_display()} {self.status}"


class UncivilPhoto(StoredPhoto):
    """Evidence of uncivil behaviour (stored like case photos: private original, EXIF-free copy)."""

    FOLDER = "points"
    record = models.ForeignKey(UncivilRecord, on_delete=models.CASCADE, related_name="photos")

    class Meta(StoredPhoto.Meta):
        verbose_name = _("取证照片")
        verbose_name_plural = _("取证照片")

    def __str__(self) -> str:
        return f"{self.record_id} {self.sha256[:8]}"


class Appeal(models.Model):
    """申诉: the person disputes a deduction; another inspector upholds (→ reversal) or rejects it."""

    record = models.OneToOneField(UncivilRecord, on_delete=models.PROTECT, related_name="appeal")
    reason = models.CharField(_("申诉理由"), max_length=500)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=AppealStatus.choices,
        default=AppealStatus.PENDING,
        db_index=True,
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_note = models.CharField(_("复核意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("申诉时间"))
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"appeal of #{self.record_id} {self.status}"


class Honour(models.Model):
    """好人评选: a nomination, reviewed, then awarded through the ledger (reason "honour")."""

    nominee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被提名人"),
        on_delete=models.PROTECT,
        related_name="honours",
    )
    title = models.CharField(_("称号"), max_length=100, help_text=_("如：康巴什好人、最美志愿者"))
    citation = models.TextField(_("事迹"), max_length=2000)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提名人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=HonourStatus.choices, default=HonourStatus.NOMINATED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    entry = models.OneToOneField(
        PointsEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("提名时间"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    awarded_at = models.DateTimeField(_("授予时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("好人评选")
        verbose_name_plural = _("好人评选")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title}: {self.nominee}"


class RewardItem(models.Model):
    """An item or service in the catalogue, offered by a partner merchant, with stock and a cost in points."""

    name = models.CharField(_("名称"), max_length=100)
    merchant_name = models.CharField(_("商户"), max_length=100)
    merchant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("商户核销账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reward_items",
        help_text=_("只有该账号（或管理员）可以核销；留空则任何登录的商户店员均可核销。"),
    )
    description = models.TextField(_("说明"), blank=True)
    cost = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"), default=0)
    valid_until = models.DateField(_("兑换券有效期至"), null=True, blank=True)
    active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("兑换商品")
        verbose_name_plural = _("兑换商品")
        ordering = ["cost", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.merchant_name})"


class Voucher(models.Model):
    """A redeemed reward: a signed code (core.tokens, purpose "voucher") the merchant scans once."""

    item = models.ForeignKey(
        RewardItem, verbose_name=_("商品"), on_delete=models.PROTECT, related_name="vouchers"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("持有人"),
        on_delete=models.PROTECT,
        related_name="vouchers",
    )
    payload = models.CharField(max_length=64, unique=True, editable=False)
    token = models.CharField(_("券码"), max_length=128, editable=False)
    cost = models.PositiveIntegerField(_("积分"))
    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("兑换时间"))
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("核销时间"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("兑换券")
        verbose_name_plural = _("兑换券")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.item} → {self.person_id}"
