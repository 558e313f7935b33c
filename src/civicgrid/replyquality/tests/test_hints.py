"""The hints on crafted replies: each check passes or fails where a reader would say so."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from civicgrid.replyquality.hints import WEIGHTS, reply_hints, report_parts

REPORT = "幸福路23号门前人行道上有人占道经营卖水果，堵住了盲道，行人只能走机动车道。"
GOOD = (
    "您好，您反映的幸福路23号门前占道经营问题，城管执法二中队已于12月5日上午到现场，劝离卖水果的流动摊贩，"
    "已清理占道物品，盲道已恢复通行，今后将加强巡查。承办人：王军，联系电话0477-8312345。"
)
LEGAL = "依据《城市市容和环境卫生管理条例》第十四条，"
ENFORCEMENT = SimpleNamespace(needs_legal_basis=True)
PLAIN = SimpleNamespace(needs_legal_basis=False)


def outcome(assessment) -> dict[str, bool]:
    return {c.code: c.passed for c in assessment.checks}


def test_a_good_reply_passes_every_check_and_scores_at_least_80():
    a = reply_hints(REPORT, GOOD, category=PLAIN)
    assert outcome(a) == {"relevance": True, "result": True, "time": True, "place": True, "contact": True}
    assert a.score >= 80
    assert all(c.message_zh and c.message_en for c in a.checks)


@pytest.mark.parametrize("boilerplate", ["已处理", "已处理。", "收到，已办结", "您好，已处理，谢谢"])
@pytest.mark.parametrize("category", [None, ENFORCEMENT])
def test_boilerplate_fails_relevance_and_scores_at_most_40(boilerplate, category):
    due = datetime(2026, 12, 5, tzinfo=UTC)
    a = reply_hints(REPORT, boilerplate, category=category, due_at=due, replied_at=due - timedelta(hours=1))
    assert outcome(a)["relevance"] is False
    assert "过于简单" in next(c.message_zh for c in a.checks if c.code == "relevance")
    assert a.score <= 40


def test_an_off_topic_reply_fails_relevance_and_names_what_it_misses():
    off = "您好，关于小区绿化带树木修剪的问题，园林中心已于本周修剪完毕，联系电话13912345678。"
    a = reply_hints(REPORT, off)
    checks = outcome(a)
    assert checks["relevance"] is False and checks["contact"] is True
    relevance = next(c for c in a.checks if c.code == "relevance")
    assert "关联不大" in relevance.message_zh and "人行道" in relevance.message_zh
    assert a.score < 80


def test_a_reply_without_time_place_and_contact_says_so():
    bare = "您反映的占道经营卖水果、堵住盲道的问题，已劝离摊贩，已清理占道物品。"
    a = reply_hints(REPORT, bare)
    assert outcome(a) == {"relevance": True, "result": True, "time": False, "place": False, "contact": False}
    assert a.score == round(100 * (WEIGHTS["relevance"] + WEIGHTS["result"]) / 80)
    missing = {c.code: c.message_zh for c in a.failed}
    assert "时间" in missing["time"] and "地点" in missing["place"] and "联系" in missing["contact"]


def test_no_result_stated_fails_the_result_check():
    vague = "您反映的幸福路23号门前占道经营卖水果问题，我们于12月5日上午去看了，联系人王军13912345678。"
    a = reply_hints(REPORT, vague)
    assert outcome(a)["result"] is False and outcome(a)["relevance"] is True


MULTI = "一是阳光小区东门的路灯坏了一个月没人修，二是东门口垃圾桶满了没人清运。另外，楼下广场晚上跳舞噪声很大，能不能管一下？"


def test_a_multi_part_report_is_split_into_its_requests():
    parts = report_parts(MULTI)
    assert len(parts) == 3
    assert "路灯" in parts[0] and "垃圾桶" in parts[1] and "跳舞" in parts[2]
    assert len(report_parts("1.路灯不亮了很久了；2.井盖松动踩上去响")) == 2
    assert len(report_parts("路灯不亮")) == 1


def test_a_multi_part_report_with_one_part_unanswered_fails_the_parts_check():
    reply = "您好，阳光小区东门路灯已于12月6日修复，东门口垃圾桶已清运，联系人李明13912345678。"
    a = reply_hints(MULTI, reply)
    parts = next(c for c in a.checks if c.code == "parts")
    assert parts.passed is False
    assert "3 个问题" in parts.message_zh and "1 个未答复" in parts.message_zh and "跳舞" in parts.message_zh
    full = reply + "广场跳舞噪声问题，社区已于12月6日约谈组织者，晚九点后停止播放音乐。"
    assert outcome(reply_hints(MULTI, full))["parts"] is True
    assert reply_hints(MULTI, full).score > a.score


def test_a_single_question_report_has_no_parts_check():
    assert "parts" not in outcome(reply_hints(REPORT, GOOD))


def test_an_enforcement_category_needs_a_legal_basis():
    without = reply_hints(REPORT, GOOD, category=ENFORCEMENT)
    assert outcome(without)["legal_basis"] is False
    assert "依据" in next(c.message_zh for c in without.checks if c.code == "legal_basis")
    with_basis = reply_hints(REPORT, LEGAL + GOOD, category=ENFORCEMENT)
    assert outcome(with_basis)["legal_basis"] is True and with_basis.score == 100
    assert without.score < with_basis.score
    # Other phrasings of a basis count too.
    for basis in ("根据《鄂尔多斯市市容管理办法》规定，", "按第二十条，", "根据市容管理相关规定，"):
        assert outcome(reply_hints(REPORT, basis + GOOD, category=ENFORCEMENT))["legal_basis"] is True
    # A category that needs none is not marked down for its absence.
    assert "legal_basis" not in outcome(reply_hints(REPORT, GOOD, category=PLAIN))


def test_a_late_reply_fails_the_on_time_check():
    due = datetime(2026, 12, 5, 10, tzinfo=UTC)
    late = reply_hints(REPORT, GOOD, due_at=due, replied_at=due + timedelta(minutes=1))
    on_time = reply_hints(REPORT, GOOD, due_at=due, replied_at=due)
    assert outcome(late)["on_time"] is False and outcome(on_time)["on_time"] is True
    assert late.score < on_time.score == 100
    assert "on_time" not in outcome(reply_hints(REPORT, GOOD))  # no time limit given: not judged


def test_the_score_is_the_share_of_the_applicable_weights():
    a = reply_hints(REPORT, "")
    assert a.score == 0 and all(not c.passed for c in a.checks)
    assert a.as_dict()["checks"][0]["weight"] == WEIGHTS["relevance"]


def test_warm_up_loads_the_word_list_before_the_first_feedback():
    import jieba

    from civicgrid.replyquality.hints import warm_up

    warm_up()
    assert jieba.dt.initialized
