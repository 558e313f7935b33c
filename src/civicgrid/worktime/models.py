"""The admin's own entries in the working calendar (工作日历).

The `chinese_calendar` library knows the State Council's holiday schedule only up to the year it
was released; the schedule for the next year is published around November–December. An admin
enters that year's holidays and make-up workdays here, and an entry always beats the library.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """One local override of a date: a holiday (节假日) or a make-up workday (调休上班日)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(
        _("工作日"),
        help_text=_("勾选为调休上班日，不勾选为节假日"),
    )
    note = models.CharField(_("说明"), max_length=100, blank=True, help_text=_("例如"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")

    def __str__(self) -> str:
        kind = "调休上班 workday" if self.is_workday else "放假 holiday"
        return f"{self.date} {kind}" + (f" ({self.note})" if self.note else "")
