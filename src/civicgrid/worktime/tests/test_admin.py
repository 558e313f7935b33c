"""The admin's page for holidays and make-up workdays."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from civicgrid.worktime.calendar import get_calendar
from civicgrid.worktime.models import CalendarDay
from civicgrid.worktime.tests.clock import at

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:worktime_calendarday_changelist"
WARNING = "year 2027 is unconfirmed: enter the State Council&#x27;s holiday schedule"


@pytest.fixture
def admin_user_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser(phone="13900000099", password="x" * 12))
    return client


@pytest.fixture(autouse=True)
def _november_2026():
    with time_machine.travel(at(2026, 11, 27, 10), tick=False):
        yield


def test_the_changelist_warns_about_next_year(admin_user_client):
    response = admin_user_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert WARNING in response.content.decode()


def test_the_warning_goes_once_next_year_is_entered(admin_user_client, django_capture_on_commit_callbacks):
    get_calendar()  # cached before the change, so the test sees the invalidation
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_user_client.post(
            reverse("admin:worktime_calendarday_add"),
            {"date": "2027-01-01", "note": "元旦 New Year's Day"},  # is_workday unchecked: a holiday
        )
    assert response.status_code == 302
    day = CalendarDay.objects.get()
    assert (day.date, day.is_workday) == (date(2027, 1, 1), False)
    assert not get_calendar().is_workday(date(2027, 1, 1))
    response = admin_user_client.get(reverse(CHANGELIST))
    assert "2027" in response.content.decode()  # the row itself …
    assert WARNING not in response.content.decode()  # … but no warning


def test_editing_and_deleting_go_through_the_services(admin_user_client, django_capture_on_commit_callbacks):
    day = CalendarDay.objects.create(date=date(2026, 10, 1), is_workday=True, note="值班")
    get_calendar()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_user_client.post(
            reverse("admin:worktime_calendarday_change", args=[day.pk]), {"note": "放假", "is_workday": ""}
        )
    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.date, day.is_workday, day.note) == (date(2026, 10, 1), False, "放假")
    assert not get_calendar().is_workday(date(2026, 10, 1))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_user_client.post(
            reverse("admin:worktime_calendarday_delete", args=[day.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()


def test_bulk_delete_drops_the_cached_calendar(admin_user_client, django_capture_on_commit_callbacks):
    CalendarDay.objects.create(date=date(2026, 10, 8), is_workday=False)
    CalendarDay.objects.create(date=date(2026, 10, 9), is_workday=False)
    assert not get_calendar().is_workday(date(2026, 10, 8))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_user_client.post(
            reverse(CHANGELIST),
            {
                "action": "delete_selected",
                "post": "yes",
                "_selected_action": list(CalendarDay.objects.values_list("pk", flat=True)),
            },
        )
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    assert get_calendar().is_workday(date(2026, 10, 8))


def test_the_list_shows_what_the_library_says(admin_user_client):
    CalendarDay.objects.create(date=date(2026, 10, 1), is_workday=True)
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False)
    content = admin_user_client.get(reverse(CHANGELIST)).content.decode()
    assert "休息日" in content
    assert "未覆盖" in content
    assert "周四" in content
