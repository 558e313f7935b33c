"""Changes to configuration and personal-data models: django-auditlog records who changed what."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from civicgrid.accounts.models import Department, User

pytestmark = pytest.mark.django_db


def test_an_admin_change_is_logged_with_its_actor_and_the_values(client, world):
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    client.force_login(world.admin)
    dept = world.departments["YLZX"]
    response = client.post(
        f"/admin/accounts/department/{dept.pk}/change/",
        {
            "code": dept.code,
            "name": "园林绿化服务中心",
            "kind": dept.kind,
            "credit_code": "",
            "phone": "",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    entry = LogEntry.objects.get_for_object(dept).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == world.admin
    assert entry.changes_dict["name"] == ["园林绿化中心", "园林绿化服务中心"]
    assert entry.remote_addr == "127.0.0.1"
    assert Department.objects.get(pk=dept.pk).name == "园林绿化服务中心"


def test_personal_fields_are_masked_in_the_log_and_secrets_left_out(world):
    person = User.objects.get(pk=world.citizen.pk)
    person.phone, person.real_name = "13600000001", "王芳芳"
    person.set_password("a-new-Secret-99")
    person.save()
    entry = LogEntry.objects.get_for_object(person).filter(action=LogEntry.Action.UPDATE).get()
    changes = entry.changes_dict
    assert changes["phone"] == ["139****0001", "136****0001"]
    assert changes["real_name"] == ["王*", "王**"]
    assert "password" not in changes and "last_login" not in changes
    assert "13600000001" not in str(entry.changes) and "王芳芳" not in str(entry.changes)
