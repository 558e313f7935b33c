"""The vocabulary of the case loop: statuses (with colours), kinds, channels, actions, ratings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("待立案")  # 上报: waiting for the dispatcher to register or reject
    REJECTED = "rejected", _("不予立案")  # final: not a case (reason in the event)
    MERGED = "merged", _("已并案")  # final: a duplicate, the reporter follows the original
    REGISTERED = "registered", _("待派遣")  # 立案: waiting to be dispatched
    DISPATCHED = "dispatched", _("待签收")  # 派遣: the department has not accepted it yet
    ACCEPTED = "accepted", _("处置中")  # 签收: the department is handling it (also after 返工)
    RETURNED = "returned", _("已退回")  # 退回: the department says it is not theirs; re-dispatch
    HANDLED = "handled", _("待核查")  # 处置反馈: handled, waiting for verification
    VERIFIED = "verified", _("待结案")  # 核查通过: waiting to be closed
    CLOSED = "closed", _("已结案")  # 结案
    LONG_TERM = "long_term", _("挂账")  # cannot be solved now; kept on the long-term list


STATUS_COLOURS = {
    CaseStatus.REPORTED: "blue",
    CaseStatus.REJECTED: "grey",
    CaseStatus.MERGED: "grey",
    CaseStatus.REGISTERED: "indigo",
    CaseStatus.DISPATCHED: "orange",
    CaseStatus.ACCEPTED: "amber",
    CaseStatus.RETURNED: "purple",
    CaseStatus.HANDLED: "teal",
    CaseStatus.VERIFIED: "cyan",
    CaseStatus.CLOSED: "green",
    CaseStatus.LONG_TERM: "brown",
}
FINAL_STATUSES = frozenset({CaseStatus.REJECTED, CaseStatus.MERGED, CaseStatus.CLOSED})
OPEN_STATUSES = frozenset(set(CaseStatus) - FINAL_STATUSES)
# Statuses in which a time limit runs (挂账 stops the clock).
TIMED_STATUSES = frozenset(OPEN_STATUSES - {CaseStatus.LONG_TERM})


class CaseKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    TIP_OFF = "tip_off", _("举报")
    HELP = "help", _("求助")
    INQUIRY = "inquiry", _("咨询")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")


class Channel(models.TextChoices):
    APP = "app", _("随手拍")
    GRID = "grid", _("网格员上报")
    CODE_SCAN = "code_scan", _("扫码上报")
    HOTLINE = "hotline", _("热线")
    MAILBOX = "mailbox", _("书记信箱")
    OPEN311 = "open311", _("Open311")
    EVALUATION = "evaluation", _("文明测评")  # a failed standard of an evaluation round's field inspection


class Action(models.TextChoices):
    """Every move the choke point performs; each writes one immutable CaseEvent."""

    REPORT = "report", _("上报")
    REGISTER = "register", _("立案")
    REJECT = "reject", _("不予立案")
    MERGE = "merge", _("并案")
    ME_TOO = "me_too", _("附议")
    DISPATCH = "dispatch", _("派遣")
    ACCEPT = "accept", _("签收")
    RETURN = "return", _("退回")
    REQUEST_EXTENSION = "request_extension", _("申请延期")
    APPROVE_EXTENSION = "approve_extension", _("批准延期")
    REFUSE_EXTENSION = "refuse_extension", _("驳回延期")
    FEEDBACK = "feedback", _("处置反馈")
    VERIFY = "verify", _("核查通过")
    REWORK = "rework", _("返工")
    CLOSE = "close", _("结案")
    HANG = "hang", _("挂账")
    RESUME = "resume", _("挂账恢复")
    SUPERVISE = "supervise", _("督办")
    RATE = "rate", _("评价")
    REOPEN = "reopen", _("重办")
    REDISPATCH = "redispatch", _("改派")  # to another department, before anyone accepted it
    RECALL = "recall", _("撤回派遣")  # back to 待派遣, before anyone accepted it
    UNMERGE = "unmerge", _("撤销并案")  # a wrong merge undone: the report is its own case again


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Light(models.TextChoices):
    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")
    NONE = "none", _("不计时")


# One language at a time: the channels as the pages name them (the field's labels are bilingual for the
# admin), each a Chinese msgid translated through the catalogue.
CHANNEL_LABELS = {
    Channel.APP: _("随手拍"),
    Channel.GRID: _("网格员上报"),
    Channel.CODE_SCAN: _("扫码上报"),
    Channel.HOTLINE: _("热线"),
    Channel.MAILBOX: _("书记信箱"),
    Channel.OPEN311: _("Open311"),
    Channel.EVALUATION: _("文明测评"),
}

AUTO_DISPATCH_NOTE = "自动派遣"  # the note of the platform's dispatch after registration
# The notes the platform writes on its own moves, as the pages show them (translated): stored events
# keep the words of their time, such as the bilingual note auto-dispatches were once written with.
SYSTEM_NOTES = {
    AUTO_DISPATCH_NOTE: _("自动派遣"),
    "自动派遣 auto-dispatch": _("自动派遣"),
    "网格员上报，自动立案": _("网格员上报，自动立案"),
    "群众评价不满意，重新交办": _("群众评价不满意，重新交办"),
}
