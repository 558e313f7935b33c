from __future__ import annotations

import chinese_calendar
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.worktime.calendar import library_covers, unconfirmed_message, unconfirmed_years
from civicgrid.worktime.models import CalendarDay
from civicgrid.worktime.services import calendar_day_delete, calendar_day_set

WEEKDAYS = [
    _("周一"),
    _("周二"),
    _("周三"),
    _("周四"),
    _("周五"),
    _("周六"),
    _("周日"),
]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "is_workday", "library_says", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["note"]

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return WEEKDAYS[obj.date.weekday()]

    @admin.display(description=_("法定日历"))
    def library_says(self, obj: CalendarDay) -> str:
        # Shows whether the entry still differs from the published schedule once the library knows the year.
        if not library_covers(obj.date.year):
            return _("未覆盖")
        return _("工作日") if chinese_calendar.is_workday(obj.date) else _("休息日")

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarDay | None = None) -> list[str]:
        # The date is the key: moving an entry to another day is a delete plus an add.
        return ["date"] if obj is not None else []

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method == "GET":  # a POST (an action) redirects here, which warns once
            this_year = timezone.localdate().year
            for year in unconfirmed_years([this_year, this_year + 1]):
                self.message_user(request, unconfirmed_message(year), messages.WARNING)
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: object, change: bool) -> None:
        saved = calendar_day_set(day=obj.date, is_workday=obj.is_workday, note=obj.note)
        # The admin's log entry and redirect need the primary key of the row that was written.
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        calendar_day_delete(day=obj.date)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        with transaction.atomic():
            for day in list(queryset.values_list("date", flat=True)):
                calendar_day_delete(day=day)
