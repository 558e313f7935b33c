"""The console's 立案 and 派遣 forms with 智能推荐, and the dashboard's accuracy panel."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from civicgrid.cases.tests.helpers import submit
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.classifier.models import SuggestionLog

MANHOLE = "井盖没了，晚上很危险"
LITTER = "小区门口垃圾没人清理，很臭"


@pytest.fixture
def dispatcher(routed_world, models):
    client = Client()
    client.force_login(routed_world.dispatcher)
    return client


def selected_category(html: str) -> str | None:
    select = re.search(r'<select id="register-category".*?</select>', html, re.S).group(0)
    found = re.search(r'<option value="([^"]+)"[^>]*\bselected\b', select)
    return found.group(1) if found else None


def test_register_preselects_a_confident_suggestion_over_the_citizens_pick(
    dispatcher, routed_world, categories, settings
):
    case = submit(routed_world.citizen, description=MANHOLE, category=categories["09006"])
    html = dispatcher.get(f"/console/cases/{case.number}/").content.decode()
    box = re.search(r'<div class="suggest-box" id="register-suggest".*?</div>', html, re.S).group(0)
    assert "智能推荐" in box and "已预选“雨水井盖”" in box
    assert re.findall(r'data-value="([^"]+)"', box)[0] == "component:01003"
    assert re.search(r"雨水井盖</button> <span class=\"confidence\">\d+%</span>", box)
    assert "群众所选：09006 占道经营" in box
    assert selected_category(html) == "component:01003"

    # Not confident enough: the citizen's own pick stays, the top 3 are still shown.
    settings.CIVICGRID_SUGGEST_PRESELECT_CONFIDENCE = 0.99
    html = dispatcher.get(f"/console/cases/{case.number}/").content.decode()
    assert 'id="register-suggest"' in html and "已预选" not in html
    assert selected_category(html) == "matter:09006"
    assert SuggestionLog.objects.filter(case=case, where="console_register").count() == 1


def test_register_shows_nothing_without_an_active_model(client, routed_world, categories):
    client.force_login(routed_world.dispatcher)
    case = submit(routed_world.citizen, description=MANHOLE, category=categories["09006"])
    html = client.get(f"/console/cases/{case.number}/").content.decode()
    assert 'id="register-suggest"' not in html and selected_category(html) == "matter:09006"
    assert not SuggestionLog.objects.exists()


def _registered(world, categories, description, code):
    case = submit(world.citizen, description=description, category=categories[code])
    case_transition(case=case, action="register", actor=world.dispatcher, payload=MoveInput())
    case.refresh_from_db()
    return case


def test_dispatch_shows_the_models_department_beside_the_rules_and_says_when_they_differ(
    dispatcher, routed_world, categories
):
    litter = _registered(routed_world, categories, LITTER, "06010")
    html = dispatcher.get(f"/console/cases/{litter.number}/").content.decode()
    compare = re.search(
        r'<div class="suggest-box disagree" id="dispatch-suggest".*?</div>', html, re.S
    ).group(0)
    text = re.sub(r"<[^>]+>", "", compare)
    assert re.search(r"规则派遣：青春山街道办事处 · 模型建议：城市管理综合执法局（\d+%）", text)
    assert "两者不一致，请核对" in text
    # The rule's department stays the pre-selected one (rule-based dispatch is unchanged).
    assert re.search(r'<option value="JD-QCS" selected>', html)

    manhole = _registered(routed_world, categories, MANHOLE, "01003")
    html = dispatcher.get(f"/console/cases/{manhole.number}/").content.decode()
    text = re.sub(r"<[^>]+>", "", re.search(r'id="dispatch-suggest".*?</div>', html, re.S).group(0))
    assert re.search(r"规则派遣：住建局市政科 · 模型建议：住建局市政科（\d+%）", text)
    assert "两者不一致" not in html


def test_the_dashboard_shows_the_accuracy_panel(client, routed_world, categories):
    client.force_login(routed_world.leader)
    html = client.get("/dashboard/").content.decode()
    assert "智能分类准确率" in html and 'id="suggest-accuracy-empty"' in html
    SuggestionLog.objects.create(
        where="h5",
        target="category",
        text_hash="0" * 64,
        suggestions=[{"label": "component:01003", "confidence": 0.9}],
        chosen_label="component:01003",
        outcome="accepted",
        resolved_at="2026-12-01T00:00:00Z",
    )
    html = client.get("/dashboard/").content.decode()
    data = json.loads(
        re.search(r'<script id="suggest-accuracy-data" type="application/json">(.*?)</script>', html).group(1)
    )
    assert data["category"]["accepted"] == [100.0] and data["category"]["count"] == [1]
    row = re.search(r'<tr data-key="component:01003">(.*?)</tr>', html).group(1)
    assert "01003 雨水井盖" in row and "100.0%" in row
