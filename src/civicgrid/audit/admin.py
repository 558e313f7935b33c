"""The access audit's search pages for a security officer (Capability.AUDIT_VIEW, roles.py).

访问记录: logins, failed logins, views of unmasked personal data, exports — filtered by who, whose,
kind and a date range. 变更记录: django-auditlog's record of changes to configuration and
personal-data models. Both read-only: nothing here adds, changes or deletes a row.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from auditlog.admin import LogEntryAdmin as AuditlogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.roles import Capability, user_can
from civicgrid.audit.models import AccessEvent, ApiCall


class AuditViewOnly:
    """Visible to whoever may read the audit; never editable."""

    def has_module_permission(self, request) -> bool:
        return user_can(request.user, Capability.AUDIT_VIEW)

    def has_view_permission(self, request, obj=None) -> bool:
        return user_can(request.user, Capability.AUDIT_VIEW)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InputFilter(admin.SimpleListFilter):
    """A filter typed into a box rather than picked from a list (people and dates are too many)."""

    template = "admin/audit/input_filter.html"
    placeholder = ""

    def lookups(self, request, model_admin):
        return ((None, ""),)  # a filter with no lookups is not shown at all

    def choices(self, changelist):
        # The other filters' parameters, kept as hidden fields of the box's form.
        params = changelist.get_filters_params()
        yield {
            "params": [
                (key, value)
                for key, values in params.items()
                if key != self.parameter_name
                for value in (values if isinstance(values, list) else [values])
            ],
            "placeholder": self.placeholder,
        }


def _person_q(prefix: str, text: str) -> Q:
    return Q(**{f"{prefix}__phone__icontains": text}) | Q(**{f"{prefix}__real_name__icontains": text})


class WhoFilter(InputFilter):
    title = _("操作人")
    parameter_name = "who"
    placeholder = "13900000003"

    def queryset(self, request, queryset):
        text = (self.value() or "").strip()
        return queryset.filter(_person_q("actor", text)) if text else queryset


class WhoseFilter(InputFilter):
    title = _("当事人或对象")
    parameter_name = "whose"
    placeholder = "13900000001"

    def queryset(self, request, queryset):
        text = (self.value() or "").strip()
        if not text:
            return queryset
        return queryset.filter(
            _person_q("subject", text) | Q(target__icontains=text) | Q(credential__icontains=text)
        )


class _DayFilter(InputFilter):
    placeholder = "2026-12-01"

    def day_start(self) -> datetime | None:
        day = parse_date((self.value() or "").strip())
        return timezone.make_aware(datetime.combine(day, time.min)) if day else None


class FromFilter(_DayFilter):
    title = _("自")
    parameter_name = "from"

    def queryset(self, request, queryset):
        start = self.day_start()
        return queryset.filter(at__gte=start) if start else queryset


class ToFilter(_DayFilter):
    title = _("至")
    parameter_name = "to"

    def queryset(self, request, queryset):
        start = self.day_start()
        return queryset.filter(at__lt=start + timedelta(days=1)) if start else queryset


@admin.register(AccessEvent)
class AccessEventAdmin(AuditViewOnly, admin.ModelAdmin):
    list_display = ["at", "kind", "actor_label", "subject_label", "target", "reason", "ip"]
    list_filter = ["kind", WhoFilter, WhoseFilter, FromFilter, ToFilter]
    list_select_related = ["actor", "subject"]
    date_hierarchy = "at"
    fields = ["at", "kind", "actor_label", "subject_label", "target", "reason", "credential", "detail", "ip"]
    readonly_fields = fields
    show_full_result_count = False  # the table is large: no COUNT(*) of everything on every page

    @admin.display(description=_("操作人"), ordering="actor")
    def actor_label(self, obj: AccessEvent) -> str:
        # Staff act under their names; the audit shows the account that acted, with its phone.
        return f"{obj.actor.full_display_name} ({obj.actor.phone})" if obj.actor_id else "—"

    @admin.display(description=_("当事人"), ordering="subject")
    def subject_label(self, obj: AccessEvent) -> str:
        return f"{obj.subject.full_display_name} ({obj.subject.phone})" if obj.subject_id else "—"


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class ModelChangeAdmin(AuditViewOnly, AuditlogEntryAdmin):
    # django-auditlog's page, with the search fields this User model has.
    search_fields = ["object_repr", "changes", "actor__phone", "actor__real_name"]


@admin.register(ApiCall)
class ApiCallAdmin(AuditViewOnly, admin.ModelAdmin):
    """API 调用记录: calls made with API client keys; searched by client, endpoint, status, case."""

    list_display = [
        "at",
        "client",
        "key_prefix",
        "method",
        "endpoint",
        "status",
        "duration_ms",
        "case_number",
    ]
    list_filter = ["status", "method", FromFilter, ToFilter]
    list_select_related = ["client"]
    search_fields = ["=case_number", "endpoint", "path", "client__name", "=request_id", "=key_prefix"]
    date_hierarchy = "at"
    fields = [
        "at",
        "client",
        "key_prefix",
        "method",
        "endpoint",
        "path",
        "status",
        "duration_ms",
        "case_number",
        "request_id",
    ]
    readonly_fields = fields
    show_full_result_count = False
