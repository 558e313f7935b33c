"""The English catalogue: choosing English turns the pages into English; Chinese stays the default."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.conf import settings

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
HAN = re.compile(r"[\u4e00-\u9fff]")


def choose_english(client) -> None:
    """What the language switch in base.html does."""
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def interface_text(html: str) -> str:
    """The visible text of a page less its data: the signed-in name, the options of a select
    (categories, streets, departments) and the "中文" button, which is Chinese on purpose."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    html = re.sub(r'<span class="who">.*?</span>', "", html)
    html = re.sub(r"<option\b.*?</option>", "", html, flags=re.S)
    html = re.sub(r'<button[^>]*lang="zh-Hans"[^>]*>.*?</button>', "", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_home_page_in_english_after_choosing_it(client, world):
    choose_english(client)
    html = client.get("/").content.decode()
    assert '<html lang="en"' in html
    assert "City Governance Platform" in html
    assert "unit grid cells" in html
    assert "Sign in" in html
    assert "城市精细化治理平台" not in html
    assert "个单元网格" not in html
    # The switch now offers the way back, in Chinese.
    assert 'value="zh-hans"' in html


def test_login_page_labels_in_english(client, db):
    choose_english(client)
    html = client.get("/accounts/login/").content.decode()
    for english in ["Mobile number", "Password", "Sign in", "Sign in / sign up with a phone code"]:
        assert english in html, english
    for chinese in ["手机号", "密码", "登录"]:
        assert chinese not in html, chinese


def test_citizen_home_in_english(client, world):
    client.force_login(world.citizen)
    choose_english(client)
    response = client.get("/m/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    for english in [
        "Snap & Report",
        "Report a problem",
        "My reports",
        "Messages",
        "Home",
        "Bottom navigation",
    ]:
        assert english in html, english
    for chinese in ["随手拍", "我要上报", "我的上报", "消息", "首页", "底部导航", "退出"]:
        assert chinese not in html, chinese
    assert not HAN.search(interface_text(html)), interface_text(html)


def test_citizen_report_page_in_english(client, world, categories):
    client.force_login(world.citizen)
    choose_english(client)
    html = client.get("/m/report/").content.decode()
    for english in ["Submit report", "Use my location", "Take photo", "Description", "Category"]:
        assert english in html, english
    # Categories are data and stay Chinese; no piece of the interface around them does.
    text = interface_text(html)
    assert not HAN.search(text), text


def test_console_in_english(client, world):
    client.force_login(world.dispatcher)
    choose_english(client)
    response = client.get("/console/", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    for english in [
        "Console",
        "Intake &amp; dispatch",
        "New reports to register",
        "New call or letter",
        "Work queues",
        "Sign out",
        "Search",
        "Category",
        "Filter",
    ]:
        assert english in html, english
    for chinese in ["工作台", "受理派遣", "新上报待立案", "录入来件", "工作队列", "退出", "搜索", "全部案件"]:
        assert chinese not in html, chinese
    assert not HAN.search(interface_text(html)), interface_text(html)


def test_api_error_message_follows_accept_language(client, world):
    english = client.get("/api/grids/locate?lat=10&lon=10", headers={"Accept-Language": "en"})
    assert english.status_code >= 400
    body = english.json()
    assert body["message"] == body["message_en"]
    assert not HAN.search(body["message"])

    chinese = client.get("/api/grids/locate?lat=10&lon=10")
    body = chinese.json()
    assert body["message"] == body["message_zh"]


def test_chinese_is_the_default_without_a_choice(client, world):
    html = client.get("/").content.decode()
    assert '<html lang="zh-Hans"' in html
    assert "城市精细化治理平台" in html
    assert "City Governance Platform" not in html

    client.force_login(world.dispatcher)
    html = client.get("/console/", follow=True).content.decode()
    assert "工作台" in html and "新上报待立案" in html
    assert "New reports to register" not in html


def test_switching_back_to_chinese(client, db):
    choose_english(client)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="zh-Hans"' in html
    assert "城市精细化治理平台" in html


def _po_entries(text: str) -> list[dict[str, str]]:
    """msgid/msgid_plural/msgstr… of each entry of a .po file, plus whether it is fuzzy."""
    entries = []
    for block in text.strip().split("\n\n"):
        entry: dict[str, str] = {"fuzzy": "#, fuzzy" in block or ", fuzzy" in block}
        key = None
        for line in block.splitlines():
            match = re.match(r"^(msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line)
            if match:
                key = match.group(1)
                entry[key] = ""
                line = match.group(2)
            elif not line.startswith('"') or key is None:
                continue
            entry[key] += line[1:-1].encode().decode("unicode_escape").encode("latin-1").decode()
        entries.append(entry)
    return entries


def test_english_catalogue_is_complete_and_compiled():
    """Every string of the .po is translated, none is fuzzy, and the committed .mo has them all.

    (Run `civicgrid makemessages -l en …` then `civicgrid compilemessages -l en` after adding strings.)
    """
    entries = [e for e in _po_entries((LC_MESSAGES / "django.po").read_text()) if e.get("msgid")]
    assert entries
    assert not [e["msgid"] for e in entries if e["fuzzy"]]
    untranslated = [e["msgid"] for e in entries if not all(v for k, v in e.items() if k.startswith("msgstr"))]
    assert not untranslated
    with (LC_MESSAGES / "django.mo").open("rb") as fp:
        catalogue = gettext.GNUTranslations(fp)
    stale = [
        e["msgid"]
        for e in entries
        if "msgid_plural" not in e and catalogue.gettext(e["msgid"]) != e["msgstr"]
    ]
    assert not stale, "django.mo is older than django.po: run compilemessages"
