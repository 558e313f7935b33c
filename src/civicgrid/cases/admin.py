from django.contrib import admin

from civicgrid.cases.models import Case, CaseCounter, CaseDeadline, CaseEvent, CasePhoto, ExtensionRequest


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["created_at", "action", "from_status", "to_status", "actor", "department", "note", "on_time"]


class DeadlineInline(ReadOnlyInline):
    model = CaseDeadline
    fields = [
        "step",
        "started_at",
        "limit_hours",
        "unit",
        "extended_hours",
        "due_at",
        "completed_at",
        "on_time",
    ]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Cases are read here; every change goes through the case loop (console or API), never this form."""

    list_display = ["number", "status", "category", "street", "department", "supervised", "created_at"]
    list_filter = ["status", "channel", "kind", "supervised", "street", "department"]
    search_fields = ["number", "description", "address"]
    list_select_related = ["category", "street", "department"]
    date_hierarchy = "created_at"
    inlines = [DeadlineInline, EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = [
        "case",
        "action",
        "from_status",
        "to_status",
        "actor",
        "department",
        "on_time",
        "created_at",
    ]
    list_filter = ["action", "on_time"]
    list_select_related = ["case", "actor", "department"]
    search_fields = ["case__number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(admin.ModelAdmin):
    list_display = ["case", "hours", "status", "requested_by", "decided_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["case", "requested_by", "decided_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CasePhoto)
class CasePhotoAdmin(admin.ModelAdmin):
    list_display = ["case", "stage", "width", "height", "content_type", "created_at"]
    list_select_related = ["case"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(CaseCounter)
