from django.contrib import admin
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.notifications.choices import DeliveryStatus
from civicgrid.notifications.models import Notification


class DeliveryStatusFilter(admin.SimpleListFilter):
    title = _("投递状态")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return DeliveryStatus.choices

    def queryset(self, request, queryset: QuerySet[Notification]) -> QuerySet[Notification]:
        if self.value() == DeliveryStatus.PENDING:
            return queryset.filter(processed_at__isnull=True)
        if self.value() == DeliveryStatus.SENT:
            return queryset.filter(processed_at__isnull=False, last_error="")
        if self.value() == DeliveryStatus.FAILED:
            return queryset.filter(Q(processed_at__isnull=False) & ~Q(last_error=""))
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by `notify` and the worker, never by hand."""

    list_display = [
        "id",
        "created_at",
        "kind",
        "recipient",
        "title",
        "case_id",
        "status",
        "attempts",
        "next_attempt_at",
        "processed_at",
        "read_at",
    ]
    list_filter = [DeliveryStatusFilter, "kind"]
    list_select_related = ["recipient"]
    search_fields = ["title", "dedupe_key", "recipient__phone", "=case_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]

    @admin.display(description=_("投递状态"))
    def status(self, obj: Notification) -> str:
        return obj.delivery_status.label

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
