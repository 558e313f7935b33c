"""Admin pages for volunteer service (administrators only): qualifications, teams and their members and
awards are edited here; activities, shifts, sign-ups with their history, check-in anomalies and
certificates are shown read-only — they change only through the services (organiser pages, API), so
that every change keeps its event, its places and its points. Two actions go through the services:
replacing an activity's venue secret (every code shown so far stops) and closing ended shifts.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.admin_access import ConfigureOnly, ReadOnly
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.volunteers import services
from civicgrid.volunteers.models import (
    Activity,
    Award,
    Certificate,
    CheckAnomaly,
    Qualification,
    Shift,
    Signup,
    SignupEvent,
    Team,
    TeamMembership,
    VolunteerProfile,
)


@admin.register(Qualification)
class QualificationAdmin(ConfigureOnly, admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class MembershipInline(ConfigureOnly, admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["volunteer"]
    fields = ["volunteer", "joined_at"]
    readonly_fields = ["joined_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return user_can(request.user, Capability.CONFIGURE)  # leaving a team deletes nothing else


@admin.register(Team)
class TeamAdmin(ConfigureOnly, admin.ModelAdmin):
    list_display = ["name", "street", "community", "department", "leader", "created_at"]
    list_filter = ["street"]
    search_fields = ["name"]
    autocomplete_fields = ["leader"]
    fields = ["name", "leader", "street", "community", "department", "description"]
    inlines = [MembershipInline]


class AwardInline(ConfigureOnly, admin.TabularInline):
    model = Award
    extra = 0
    fields = ["title", "awarded_on", "awarded_by"]


@admin.register(VolunteerProfile)
class VolunteerProfileAdmin(ConfigureOnly, admin.ModelAdmin):
    """Profiles are made by the volunteers themselves; here an administrator records qualifications
    and awards. The name and phone are the volunteer's to change."""

    list_display = ["number", "real_name", "street", "created_at"]
    list_filter = ["street", "qualifications"]
    search_fields = ["number", "real_name"]
    fields = [
        "number",
        "real_name",
        "phone",
        "birth_date",
        "skills",
        "street",
        "qualifications",
        "consent_at",
    ]
    readonly_fields = ["number", "real_name", "phone", "birth_date", "skills", "consent_at"]
    filter_horizontal = ["qualifications"]
    inlines = [AwardInline]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ShiftInline(ReadOnly, admin.TabularInline):
    model = Shift
    extra = 0
    fields = [
        "starts_at",
        "ends_at",
        "capacity",
        "seats_taken",
        "method",
        "waitlist",
        "min_age",
        "qualification",
    ]
    readonly_fields = fields
    show_change_link = True


@admin.register(Activity)
class ActivityAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["title", "kind", "status", "team", "department", "street", "created_at"]
    list_filter = ["status", "kind", "street"]
    search_fields = ["title", "address"]
    exclude = ["venue_secret"]
    inlines = [ShiftInline]
    actions = ["reset_venue_codes"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Activity._meta.fields if f.name != "venue_secret"] + ["organisers"]

    @admin.action(description=_("作废已展示的签到码（更换签到密钥）"))
    def reset_venue_codes(self, request, queryset) -> None:
        for activity in queryset:
            services.activity_venue_reset(activity=activity, actor=request.user)
        self.message_user(request, _("已更换 %(n)d 个活动的签到密钥") % {"n": queryset.count()})

    def has_change_permission(self, request, obj=None) -> bool:
        # The action needs the change permission; the form itself shows every field read-only.
        return user_can(request.user, Capability.CONFIGURE)


class SignupInline(ReadOnly, admin.TabularInline):
    model = Signup
    extra = 0
    fields = [
        "volunteer",
        "state",
        "waitlist_rank",
        "checked_in_at",
        "checked_out_at",
        "hours_state",
        "hours_approved",
    ]
    readonly_fields = fields
    show_change_link = True


@admin.register(Shift)
class ShiftAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["activity", "starts_at", "ends_at", "capacity", "seats_taken", "method"]
    list_filter = ["method"]
    search_fields = ["activity__title"]
    date_hierarchy = "starts_at"
    inlines = [SignupInline]
    actions = ["close_shifts"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Shift._meta.fields]

    def has_change_permission(self, request, obj=None) -> bool:
        return user_can(request.user, Capability.CONFIGURE)

    @admin.action(description=_("结束班次（标记缺席，计算待审定时长）"))
    def close_shifts(self, request, queryset) -> None:
        closed = 0
        for shift in queryset:
            try:
                services.shift_close(shift=shift, actor=request.user, now=clock.now())
                closed += 1
            except DomainError as exc:
                self.message_user(request, f"{shift}：{exc.message}", level=messages.WARNING)
        self.message_user(request, _("已结束 %(n)d 个班次") % {"n": closed})


class SignupEventInline(ReadOnly, admin.TabularInline):
    model = SignupEvent
    extra = 0
    fields = ["at", "action", "actor", "note"]
    readonly_fields = fields


@admin.register(Signup)
class SignupAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "volunteer",
        "shift",
        "state",
        "checked_in_at",
        "checked_out_at",
        "hours_state",
        "hours_approved",
    ]
    list_filter = ["state", "hours_state"]
    search_fields = ["volunteer__number", "volunteer__real_name", "shift__activity__title"]
    list_select_related = ["volunteer", "shift__activity"]
    inlines = [SignupEventInline]


@admin.register(CheckAnomaly)
class CheckAnomalyAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["kind", "direction", "volunteer", "shift", "at", "state", "decided_by"]
    list_filter = ["kind", "state", "direction"]
    search_fields = ["volunteer__number", "volunteer__real_name", "shift__activity__title"]
    list_select_related = ["volunteer", "shift__activity", "decided_by"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["code", "volunteer", "period_start", "period_end", "hours", "issued_at", "revoked_at"]
    search_fields = ["code", "volunteer__number"]
    list_select_related = ["volunteer"]
