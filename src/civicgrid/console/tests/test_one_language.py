"""One language at a time: the platform's own notes (自动派遣) and the channel are shown in the page's
language, never as a Chinese-and-English pair."""

from __future__ import annotations

import pytest

from civicgrid.cases.models import CaseEvent
from civicgrid.console.tests.helpers import NORTH_1, as_user, report

pytestmark = pytest.mark.django_db


def auto_dispatched(city):
    category = city.categories["06013"]
    category.auto_dispatch = True
    category.save(update_fields=["auto_dispatch"])
    case = report(city.citizen, NORTH_1, category=category)
    from civicgrid.cases.workflow import case_transition

    case_transition(case=case, action="register", actor=city.dispatcher)
    return case


def test_auto_dispatch_is_noted_in_one_language(client, city):
    case = auto_dispatched(city)
    assert CaseEvent.objects.filter(case=case, action="dispatch", note="自动派遣").exists()
    as_user(client, city.dispatcher)
    html = client.get(f"/console/cases/{case.number}/").content.decode()
    assert "自动派遣" in html and "auto-dispatch" not in html
    assert "随手拍 App/H5" not in html and "· 随手拍 ·" in html
    english = client.get(f"/console/cases/{case.number}/", headers={"Accept-Language": "en"}).content.decode()
    assert "Automatic dispatch" in english and "自动派遣" not in english
    client.force_login(city.citizen)
    assert "自动派遣" in client.get(f"/m/cases/{case.number}/").content.decode()
    body = client.get(f"/api/cases/{case.number}", headers={"Accept-Language": "en"}).json()
    assert [e["note"] for e in body["events"] if e["action"] == "dispatch"] == ["Automatic dispatch"]


def test_an_old_bilingual_note_is_shown_in_one_language():
    from django.utils import translation

    from civicgrid.cases.access import note_as_shown

    # Events stored before the change keep their bilingual note (append-only): shown in one language.
    event = CaseEvent(action="dispatch", note="自动派遣 auto-dispatch", actor_role="system")
    with translation.override("zh-hans"):
        assert note_as_shown(event) == "自动派遣"
    with translation.override("en"):
        assert note_as_shown(event) == "Automatic dispatch"
    assert (
        note_as_shown(CaseEvent(action="feedback", note="已修复 fixed")) == "已修复 fixed"
    )  # people's words
