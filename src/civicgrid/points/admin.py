"""Admin pages for points: rules (every edit is a new version), honours (review, award), the
catalogue, and read-only views of the ledger, deductions, appeals and vouchers.

Only administrators (Capability.CONFIGURE) see this section; ledger rows are never edited here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.admin_access import ConfigureOnly, ReadOnly
from civicgrid.core.errors import DomainError
from civicgrid.points import services
from civicgrid.points.models import (
    Appeal,
    Honour,
    PointsAccount,
    PointsEntry,
    PointsRule,
    RewardItem,
    UncivilRecord,
    Voucher,
)


@admin.register(PointsRule)
class PointsRuleAdmin(ConfigureOnly, admin.ModelAdmin):
    list_display = [
        "reason",
        "version",
        "points",
        "unit",
        "monthly_cap",
        "active",
        "created_at",
        "description",
    ]
    list_filter = ["reason", "active"]
    fields = ["reason", "points", "unit", "monthly_cap", "active", "description"]

    def get_readonly_fields(self, request, obj=None):
        return ["reason"] if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        # Never an update: saving (also "changing" an old version) writes the next version.
        try:
            new = services.points_rule_save(
                reason=obj.reason,
                points=obj.points,
                monthly_cap=obj.monthly_cap,
                description=obj.description,
                unit=obj.unit,
                active=obj.active,
                actor=request.user,
            )
        except DomainError as err:
            self.message_user(request, err.message, messages.ERROR)
            return
        obj.pk, obj.version = new.pk, new.version
        self.message_user(
            request, _("已生成新版本 v%(v)s；已有积分记录仍按原版本解释。") % {"v": new.version}
        )


@admin.register(Honour)
class HonourAdmin(ConfigureOnly, admin.ModelAdmin):
    list_display = ["title", "nominee", "status", "nominated_by", "created_at", "reviewed_by", "awarded_at"]
    list_filter = ["status"]
    search_fields = ["title", "nominee__phone", "nominee__real_name"]
    autocomplete_fields = ["nominee"]
    fields = ["nominee", "title", "citation", "status", "review_note", "reviewed_by", "entry"]
    readonly_fields = ["status", "reviewed_by", "entry"]
    actions = ["approve", "reject", "award"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "nominee"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.save(update_fields=["title", "citation", "review_note"])
            return
        try:
            created = services.honour_nominate(
                nominee=obj.nominee, nominated_by=request.user, title=obj.title, citation=obj.citation
            )
        except DomainError as err:
            self.message_user(request, err.message, messages.ERROR)
            return
        obj.pk = created.pk

    def _each(self, request, queryset, fn, done: str) -> None:
        count = 0
        for honour in queryset:
            try:
                fn(honour)
                count += 1
            except DomainError as err:
                self.message_user(request, f"{honour}: {err.message}", messages.ERROR)
        if count:
            self.message_user(request, f"{done}: {count}")

    @admin.action(description=_("审核通过"))
    def approve(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda h: services.honour_review(honour=h, reviewer=request.user, approve=True),
            _("审核通过"),
        )

    @admin.action(description=_("不予通过"))
    def reject(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda h: services.honour_review(honour=h, reviewer=request.user, approve=False),
            _("不予通过"),
        )

    @admin.action(description=_("授予并发放积分"))
    def award(self, request, queryset):
        self._each(
            request, queryset, lambda h: services.honour_award(honour=h, actor=request.user), _("已授予")
        )


@admin.register(RewardItem)
class RewardItemAdmin(ConfigureOnly, admin.ModelAdmin):
    list_display = ["name", "merchant_name", "cost", "stock", "valid_until", "active"]
    list_filter = ["active"]
    search_fields = ["name", "merchant_name"]
    autocomplete_fields = ["merchant"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "person", "delta", "reason", "explanation", "source_key", "reverses"]
    list_filter = ["reason"]
    search_fields = ["person__phone", "source_key"]
    list_select_related = ["person", "reverses"]


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["person", "balance", "community"]
    search_fields = ["person__phone", "person__real_name"]
    list_select_related = ["person", "community"]


@admin.register(UncivilRecord)
class UncivilRecordAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "created_at",
        "person",
        "behaviour",
        "points",
        "address",
        "status",
        "inspector",
        "appeal_deadline",
    ]
    list_filter = ["status", "behaviour"]


@admin.register(Appeal)
class AppealAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "record", "status", "reviewer", "decided_at"]
    list_filter = ["status"]


@admin.register(Voucher)
class VoucherAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["issued_at", "item", "person", "cost", "expires_at", "used_at", "used_by"]
    exclude = ["token", "payload"]
