"""The unread count in the console header and the notification list."""

import pytest

from civicgrid.console.tests.helpers import NORTH_1, as_user, move, report
from civicgrid.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatched(city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"])
    move(case, "register", city.dispatcher)
    return move(case, "dispatch", city.dispatcher)


def test_header_counts_unread_notifications(client, city, dispatched):
    as_user(client, city.roads_handler)
    page = client.get("/console/queue/to_accept/").content.decode()
    assert '<span class="count" data-unread="1">1</span>' in page
    as_user(client, city.leader)
    assert "data-unread" not in client.get("/console/queue/red/").content.decode()


def test_opening_a_notification_marks_it_read_and_opens_the_case(client, city, dispatched):
    as_user(client, city.roads_handler)
    notice = Notification.objects.get(recipient=city.roads_handler)
    page = client.get("/console/notifications/").content.decode()
    assert notice.title in page
    response = client.post(f"/console/notifications/{notice.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/console/cases/{dispatched.number}/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client.get(response["Location"]).status_code == 200


def test_someone_elses_notification_is_404(client, city, dispatched):
    notice = Notification.objects.get(recipient=city.roads_handler)
    as_user(client, city.parks_handler)
    assert client.post(f"/console/notifications/{notice.pk}/open/").status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_all_read(client, city, dispatched):
    as_user(client, city.roads_handler)
    response = client.post("/console/notifications/read-all/", follow=True)
    assert "已将 1 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=city.roads_handler, read_at__isnull=True).exists()
