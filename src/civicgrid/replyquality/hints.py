"""Hints on a reply (答复质量): does the handler's feedback (处置反馈) answer what the citizen reported?

`reply_hints(report_text, reply_text, …)` is a pure function: no database, no clock. It runs a few checks
and adds up the weights of those that pass into a score of 0–100. A check that does not apply (a report
with a single question, a category that needs no legal basis, no time limit given) is left out and the
score is taken over the checks that apply, so a reply is never marked down for what was not asked of it.

The checks and their weights (`WEIGHTS`):

| code         | weight | passes when                                                                   |
| ------------ | ------ | ----------------------------------------------------------------------------- |
| relevance    | 30     | the reply shares character n-grams (core.textsim, cosine ≥ 0.12) or at least   |
|              |        | two key terms (jieba words) with the report, and says more than a formula     |
| result       | 20     | a result is stated (已清理, 已修复, 已处置, 已拆除, 已劝离 …)                   |
| time         | 10     | a time of handling (12月5日, 今日上午, 14:30 …)                                 |
| place        | 10     | a place (…路, …小区, …号楼, 门前, 路口 …)                                       |
| contact      | 10     | someone to follow up with: a phone number, or a named 联系人 / 负责人           |
| parts        | 15     | only for a report of several questions (？, 一是…二是…, 1.…2.…, 另外, 还有):   |
|              |        | each part shares a key term with the reply                                    |
| legal_basis  | 15     | only where the category needs one (taxonomy Category.needs_legal_basis):      |
|              |        | 《…》, 第…条, 依据, 根据…规定                                                    |
| on_time      | 10     | only with both times given: replied_at ≤ due_at                                |

A good reply (relevant, result, time, place and contact) scores 100 over the five base checks; the
boilerplate "已处理" fails relevance and the details and scores ≤ 40 whichever optional checks apply.
Hints never block a move: they are advice for the handler and the verifier.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from civicgrid.core.textsim import text_similarity

WEIGHTS = {
    "relevance": 30,
    "result": 20,
    "time": 10,
    "place": 10,
    "contact": 10,
    "parts": 15,
    "legal_basis": 15,
    "on_time": 10,
}
SIMILARITY_MIN = 0.12  # cosine of character 2/3-grams: an on-topic reply shares the report's words
SHARED_TERMS_MIN = 2  # … or at least two of its key terms
SUBSTANTIVE_CHARS = 12  # a reply shorter than this (Chinese characters) is a formula, not an answer

# Words that carry no topic: courtesy, the people involved, the verbs of every reply.
STOP_TERMS = frozenset(
    """您好 你好 我们 你们 您们 他们 我局 本局 反映 问题 情况 进行 已经 相关 有关 工作 市民 群众 感谢 谢谢 希望
    能否 能不能 是否 一下 这个 那个 现在 目前 一直 经常 时候 没有 不能 可以 怎么 什么 如何 为什么 为何 请问 麻烦
    处理 解决 办理 落实 部门 单位 收到 关注 支持 理解 配合 及时 尽快 要求 已于 对此 一是 二是 三是 四是 另外
    还有 此外 同时 以及 并且 而且 但是 因为 所以 如果 这里 那里 附近 严重 影响 存在 出现 发现 地方 问下 请求
    有人 没人 很大 很多 太多 一个月 每天 天天 一直 好几天 几天 多次 总是 非常 特别 希望 一个""".split()
)

RESULT_WORDS = re.compile(
    r"已(经)?(清理|清除|清运|修复|修好|维修|处置|处理完毕|处理|拆除|更换|补齐|补装|安装|疏通|整改|取缔|劝离|劝导|"
    r"查处|立案查处|责令|恢复|完成|解决|关停|移除|规范|告知|答复|落实|加固|填平|修补|扶正|回收|清洗|消杀)|"
    r"(处理|整改|维修|清理)完毕|已办结|现已(恢复|正常|整改|完成)|不予|无法|暂不|计划于|将于"
)
TIME_WORDS = re.compile(
    r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]|\d{4}[-/.年]\s*\d{1,2}[-/.月]\s*\d{1,2}|\d{1,2}[:：]\d{2}|"
    r"\d{1,2}\s*[时点]|今[天日]|昨[天日]|当[天日]|次日|上午|下午|中午|晚上|凌晨|本周|上周|当晚"
)
PLACE_WORDS = re.compile(
    r"[\u4e00-\u9fa5A-Za-z0-9]{1,12}(路|街|大道|巷|胡同|小区|社区|广场|公园|号楼|栋|单元|门前|路口|桥|市场|学校|"
    r"医院|大厦|花园|家园|苑|院|村|站|门口|东侧|西侧|南侧|北侧)"
)
PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{3,4}-\d{7,8}|12345)(?!\d)")
CONTACT_WORDS = re.compile(
    r"(联系人|负责人|承办人|经办人|联系电话|咨询电话|联系方式)\s*[:：为是]?\s*[\u4e00-\u9fa5]{1,4}"
)
LEGAL_WORDS = re.compile(
    r"《[^》]{2,40}》|第[一二三四五六七八九十百零〇\d]+条|依据|依照|根据[^，。；]{0,40}(规定|条例|办法|法)"
)
# Where a report turns to its next question or request.
PART_SPLIT = re.compile(
    r"[？?]|[；;]|(?:一|二|三|四|五|六)是|(?:^|[\s，。,.：:；;])\(?[（(]?\d[)）.、．](?!\d)|第[一二三四五]，|另外|还有|此外|再者|其次"
)
PART_MIN_CHARS = 4


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    message_zh: str
    message_en: str

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "passed": self.passed,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "weight": WEIGHTS[self.code],
        }


@dataclass(frozen=True)
class ReplyAssessment:
    score: int  # 0–100: the weights of the passed checks over those of the checks that apply
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def as_dict(self) -> dict:
        return {"score": self.score, "checks": [c.as_dict() for c in self.checks]}


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def warm_up() -> None:
    """Load jieba's dictionary now (about a second, once per process) rather than in the first
    feedback's transaction: the console's hints box asks for it when the feedback form is shown."""
    _jieba().initialize()


def key_terms(text: str) -> list[str]:
    """The words of a text that say what it is about: jieba words of two or more Chinese characters
    (or a word with a digit and a measure, as 3号楼), without the words every report or reply uses."""
    words = _jieba().lcut(text or "")
    seen, out = set(), []
    for w in words:
        w = w.strip()
        if len(w) < 2 or w in STOP_TERMS or w in seen:
            continue
        if not re.search(r"[\u4e00-\u9fa5]", w):
            continue
        seen.add(w)
        out.append(w)
    return out


def _shared(terms: list[str], reply: str) -> list[str]:
    return [t for t in terms if t in reply]


def report_parts(report_text: str) -> list[str]:
    """The questions or requests of a report ("？", "一是…二是…", "1.…2.…", "另外", "还有"), each with a
    few characters at least; a report of one part gives one."""
    pieces = [p.strip(" ，,。.：:、\n\t") for p in PART_SPLIT.split(report_text or "") if p]
    parts = [p for p in pieces if len(re.findall(r"[\u4e00-\u9fa5]", p)) >= PART_MIN_CHARS]
    return parts or ([report_text.strip()] if report_text and report_text.strip() else [])


def _chinese_chars(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fa5]", text or ""))


def reply_hints(
    report_text: str,
    reply_text: str,
    *,
    category=None,
    due_at: datetime | None = None,
    replied_at: datetime | None = None,
) -> ReplyAssessment:
    """Assess a reply to a report; `category` is a taxonomy Category (or anything with
    `needs_legal_basis`). Pure: the same texts give the same assessment."""
    report_text = report_text or ""
    reply = reply_text or ""
    checks: list[Check] = []

    terms = key_terms(report_text)
    shared = _shared(terms, reply)
    similarity = text_similarity(report_text, reply) if report_text and reply else 0.0
    substantive = _chinese_chars(reply) >= SUBSTANTIVE_CHARS
    relevant = substantive and (similarity >= SIMILARITY_MIN or len(shared) >= SHARED_TERMS_MIN)
    if relevant:
        checks.append(
            Check(
                "relevance",
                True,
                "答复针对所反映的问题" + (f"（提及：{'、'.join(shared[:4])}）" if shared else ""),
                "the reply addresses the report" + (f" (mentions {', '.join(shared[:4])})" if shared else ""),
            )
        )
    elif not substantive:
        checks.append(
            Check(
                "relevance",
                False,
                "答复过于简单（如“已处理”），请说明针对所反映问题做了什么",
                "the reply is a formula (such as 已处理): say what was done about the reported problem",
            )
        )
    else:
        checks.append(
            Check(
                "relevance",
                False,
                "答复与所反映的问题关联不大" + (f"，未提及：{'、'.join(terms[:4])}" if terms else ""),
                "the reply seems to be about something else"
                + (f"; it does not mention {', '.join(terms[:4])}" if terms else ""),
            )
        )

    checks.append(
        Check("result", True, "已说明处理结果", "the result is stated")
        if RESULT_WORDS.search(reply)
        else Check(
            "result",
            False,
            "未说明处理结果（如已清理、已修复、已劝离）",
            "no result is stated (cleaned up, repaired, vendors moved on …)",
        )
    )
    checks.append(
        Check("time", True, "已写明处理时间", "the time of handling is given")
        if TIME_WORDS.search(reply)
        else Check(
            "time", False, "未写明处理时间（如 12月5日上午）", "no time of handling (e.g. 5 Dec, morning)"
        )
    )
    checks.append(
        Check("place", True, "已写明处理地点", "the place is given")
        if PLACE_WORDS.search(reply)
        else Check(
            "place", False, "未写明处理地点（如 某路某号门前）", "no place is given (street, building …)"
        )
    )
    checks.append(
        Check("contact", True, "已留联系人或联系电话", "a contact for follow-up is given")
        if PHONE.search(reply) or CONTACT_WORDS.search(reply)
        else Check(
            "contact",
            False,
            "未留联系人或联系电话，群众无法跟进",
            "no contact person or phone for the citizen to follow up",
        )
    )

    parts = report_parts(report_text)
    if len(parts) >= 2:
        missed = [p for p in parts if not _shared(key_terms(p), reply)]
        if missed:
            checks.append(
                Check(
                    "parts",
                    False,
                    f"反映了 {len(parts)} 个问题，有 {len(missed)} 个未答复：{_excerpt(missed[0])}",
                    f"the report raises {len(parts)} points; {len(missed)} not answered: {_excerpt(missed[0])}",
                )
            )
        else:
            checks.append(
                Check(
                    "parts",
                    True,
                    f"反映的 {len(parts)} 个问题均有答复",
                    f"each of the {len(parts)} points is answered",
                )
            )

    if category is not None and getattr(category, "needs_legal_basis", False):
        checks.append(
            Check("legal_basis", True, "已引用法律法规依据", "a legal basis is cited")
            if LEGAL_WORDS.search(reply)
            else Check(
                "legal_basis",
                False,
                "此类问题须写明执法依据（如《城市市容和环境卫生管理条例》第…条）",
                "this category needs the legal basis of the measure (a regulation and its article)",
            )
        )

    if due_at is not None and replied_at is not None:
        checks.append(
            Check("on_time", True, "在时限内答复", "replied within the time limit")
            if replied_at <= due_at
            else Check("on_time", False, "答复超过时限", "replied after the time limit")
        )

    applicable = sum(WEIGHTS[c.code] for c in checks)
    passed = sum(WEIGHTS[c.code] for c in checks if c.passed)
    score = round(100 * passed / applicable) if applicable else 0
    return ReplyAssessment(score=score, checks=checks)


def _excerpt(text: str, length: int = 20) -> str:
    text = text.strip()
    return text if len(text) <= length else text[:length] + "…"
