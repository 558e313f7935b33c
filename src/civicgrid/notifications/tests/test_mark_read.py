"""notification_mark_read(): only the recipient, idempotent."""

from __future__ import annotations

import pytest

from civicgrid.core.errors import NotFound
from civicgrid.notifications.services import notification_mark_read, notify


def test_only_the_recipient_marks_read(world):
    n = notify(recipient=world.roads_handler, kind="case_dispatched", title="派遣", body="", channels=[])
    with pytest.raises(NotFound) as err:
        notification_mark_read(notification=n, user=world.parks_handler)
    assert err.value.status == 404
    n.refresh_from_db()
    assert n.read_at is None

    notification_mark_read(notification=n, user=world.roads_handler)
    n.refresh_from_db()
    assert n.read_at is not None and n.is_read


def test_a_department_message_cannot_be_marked_read_by_anyone(world):
    n = notify(recipient=None, kind="case_supervised", title="督办", body="", channels=[])
    with pytest.raises(NotFound):
        notification_mark_read(notification=n, user=world.admin)
