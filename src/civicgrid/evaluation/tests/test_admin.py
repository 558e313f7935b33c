"""The admin: every evaluation page opens for an administrator; a published edition's rows are read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.evaluation.models import EditionStatus, Standard

pytestmark = pytest.mark.django_db

MODELS = [
    "sitetype",
    "site",
    "edition",
    "item",
    "content",
    "standard",
    "gaterule",
    "negativeitem",
    "round",
    "observation",
    "rectificationtask",
]


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_page_opens_and_nothing_frozen_changes(ev):
    client = admin_client(ev.world.admin)
    for model in MODELS:
        response = client.get(reverse(f"admin:evaluation_{model}_changelist"))
        assert response.status_code == 200, model
    url = reverse("admin:evaluation_standard_change", args=[ev.litter.pk])
    assert client.get(url).status_code == 200  # viewable
    refused = client.post(
        url, {"code": "A1.1", "text": "改了", "points": "9", "method": "field", "rule": "all_or_nothing"}
    )
    assert refused.status_code == 403
    assert Standard.objects.get(pk=ev.litter.pk).text == "路面无暴露垃圾"


def test_the_publish_and_copy_actions_go_through_the_services(ev):
    client = admin_client(ev.world.admin)
    changelist = reverse("admin:evaluation_edition_changelist")
    client.post(changelist, {"action": "copy", "_selected_action": [ev.edition.pk]})
    copy = type(ev.edition).objects.exclude(pk=ev.edition.pk).get()
    assert copy.status == EditionStatus.DRAFT
    assert Standard.objects.filter(content__item__edition=copy).count() == 3
    client.post(changelist, {"action": "publish", "_selected_action": [copy.pk]})
    copy.refresh_from_db()
    assert copy.status == EditionStatus.PUBLISHED


def test_others_do_not_see_the_section(ev):
    client = admin_client(ev.world.leader)
    assert client.get(reverse("admin:evaluation_standard_changelist")).status_code in (302, 403)
