"""Admin pages for the evaluation's configuration: site types and sites; editions (publish and copy
through the services) with their items, contents, standards, gates and negative items — editable while
a draft, read-only once published; rounds (draw, open, close through the services); read-only views of
observations and rectification tasks.

Only administrators (Capability.CONFIGURE) see this section.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.admin_access import ConfigureOnly, ReadOnly
from civicgrid.core.errors import DomainError
from civicgrid.evaluation import services
from civicgrid.evaluation.models import (
    Content,
    Edition,
    GateRule,
    Item,
    NegativeItem,
    Observation,
    RectificationTask,
    Round,
    Site,
    SiteType,
    Standard,
)


class DraftOnly(ConfigureOnly):
    """Rows of an edition: changed only while their edition is a draft (the model refuses otherwise)."""

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and Edition.objects.get(pk=obj.owning_edition_id()).frozen:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        try:
            super().save_model(request, obj, form, change)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)


def _each(modeladmin, request, queryset, fn, done: str) -> None:
    count = 0
    for obj in queryset:
        try:
            fn(obj)
            count += 1
        except DomainError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
    if count:
        modeladmin.message_user(request, f"{done}: {count}", messages.SUCCESS)


@admin.register(SiteType)
class SiteTypeAdmin(ConfigureOnly, admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(Site)
class SiteAdmin(ConfigureOnly, admin.ModelAdmin):
    list_display = ["name", "site_type", "street", "unit", "active"]
    list_filter = ["site_type", "active"]
    search_fields = ["name", "address"]
    raw_id_fields = ["cell"]


@admin.register(Edition)
class EditionAdmin(ConfigureOnly, admin.ModelAdmin):
    list_display = ["name", "year", "status", "published_at", "copied_from"]
    readonly_fields = ["status", "published_at", "copied_from", "created_at"]
    actions = ["publish", "copy"]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.frozen:
            return False
        return super().has_change_permission(request, obj)

    @admin.action(description=_("发布（发布后冻结）"))
    def publish(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda e: services.edition_publish(edition=e, actor=request.user),
            "已发布",
        )

    @admin.action(description=_("复制为新版本"))
    def copy(self, request, queryset):
        _each(
            self, request, queryset, lambda e: services.edition_copy(edition=e, actor=request.user), "已复制"
        )


@admin.register(Item)
class ItemAdmin(DraftOnly, admin.ModelAdmin):
    list_display = ["code", "name", "edition", "local", "position"]
    list_filter = ["edition"]


@admin.register(Content)
class ContentAdmin(DraftOnly, admin.ModelAdmin):
    list_display = ["code", "name", "item", "position"]
    list_filter = ["item__edition"]


@admin.register(Standard)
class StandardAdmin(DraftOnly, admin.ModelAdmin):
    list_display = ["code", "text", "points", "method", "rule", "deduction", "category"]
    list_filter = ["content__item__edition", "method", "rule"]
    search_fields = ["code", "text"]
    raw_id_fields = ["content", "category"]


@admin.register(GateRule)
class GateRuleAdmin(DraftOnly, admin.ModelAdmin):
    list_display = ["description", "edition", "item", "min_rate"]


@admin.register(NegativeItem)
class NegativeItemAdmin(DraftOnly, admin.ModelAdmin):
    list_display = ["code", "name", "edition", "deduction", "cap"]


@admin.register(Round)
class RoundAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "edition", "starts_on", "ends_on", "status", "seed", "drawn_at"]
    actions = ["draw", "open_round", "close_round"]

    @admin.action(description=_("抽样"))
    def draw(self, request, queryset):
        _each(self, request, queryset, lambda r: services.round_draw(round=r, actor=request.user), "已抽样")

    @admin.action(description=_("开始测评"))
    def open_round(self, request, queryset):
        _each(self, request, queryset, lambda r: services.round_open(round=r, actor=request.user), "已开始")

    @admin.action(description=_("结束测评"))
    def close_round(self, request, queryset):
        _each(self, request, queryset, lambda r: services.round_close(round=r, actor=request.user), "已结束")


@admin.register(Observation)
class ObservationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["standard", "round_site", "result", "inspector", "observed_at", "distance_m"]
    list_filter = ["result"]


@admin.register(RectificationTask)
class RectificationTaskAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["unit", "observation", "state", "due_at", "escalated_at", "case"]
    list_filter = ["state", "unit"]
