"""Rollups are derived data: read-only in the admin (rebuild them with `civicgrid rollups --rebuild`)."""

from __future__ import annotations

from django.contrib import admin

from civicgrid.analytics.models import ROLLUPS


class RollupAdmin(admin.ModelAdmin):
    list_display = (
        "day",
        "dims",
        "reported",
        "registered",
        "dispatched",
        "handled",
        "closed",
        "due_to_close",
        "closed_now",
    )
    date_hierarchy = "day"
    ordering = ("-day", "dims")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


for rollup in ROLLUPS:
    admin.site.register(rollup.day, RollupAdmin)
