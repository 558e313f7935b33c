"""The vocabulary of the points ledger: reasons (with the score dimension of each), uncivil behaviours,
the states of a deduction, an appeal and a nomination."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    """Why an entry was written. A reversal keeps the reason of the entry it reverses."""

    REPORT = "report", _("随手拍上报")  # a citizen's report was registered (立案)
    VOLUNTEER = "volunteer", _("志愿服务")  # per volunteer hour
    HONOUR = "honour", _("好人评选")  # an honour awarded after nomination and review
    UNCIVIL = "uncivil", _("不文明行为扣分")  # a deduction recorded by an inspector
    REDEMPTION = "redemption", _("积分兑换")  # points spent on a reward
    ADJUSTMENT = "adjustment", _("人工调整")  # an administrator's correction


# Reasons whose points come from a PointsRule (points per unit, monthly cap).
RULED_REASONS = (Reason.REPORT, Reason.VOLUNTEER, Reason.HONOUR, Reason.UNCIVIL)

# What a version-1 rule says when an administrator has not configured one yet.
DEFAULT_RULES: dict[str, dict] = {
    Reason.REPORT: {
        "points": 5,
        "monthly_cap": 100,
        "unit": "件",
        "description": "上报的问题被立案，每件 5 分；每月最多 100 分。重复上报（并案）和不予立案的不得分。",
    },
    Reason.VOLUNTEER: {
        "points": 10,
        "monthly_cap": 300,
        "unit": "小时",
        "description": "志愿服务每小时 10 分；每月最多 300 分。",
    },
    Reason.HONOUR: {
        "points": 200,
        "monthly_cap": 0,
        "unit": "次",
        "description": "好人评选获评，每次 200 分。",
    },
    Reason.UNCIVIL: {
        "points": 10,
        "monthly_cap": 0,
        "unit": "次",
        "description": "不文明行为经督查员记录，每次扣 10 分；可在申诉期内申诉。",
    },
}


class UncivilBehaviour(models.TextChoices):
    LITTERING = "littering", _("乱扔垃圾")
    SPITTING = "spitting", _("随地吐痰")
    JAYWALKING = "jaywalking", _("闯红灯/乱穿马路")
    EBIKE = "ebike", _("电动车违规（逆行、不戴头盔、载人）")
    PARKING = "parking", _("乱停乱放")
    DOG = "dog", _("不文明养犬")
    DAMAGE = "damage", _("损坏公共设施")
    NOISE = "noise", _("噪音扰民")
    OTHER = "other", _("其他不文明行为")


class UncivilStatus(models.TextChoices):
    RECORDED = "recorded", _("已记录（申诉期内）")  # deducted; the person may still appeal
    APPEALED = "appealed", _("申诉中")  # an appeal waits for another inspector
    CONFIRMED = "confirmed", _("已确认")  # the window passed or the appeal was rejected
    WITHDRAWN = "withdrawn", _("已撤销")  # the appeal was upheld: reversed, never shown publicly


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("待复核")
    UPHELD = "upheld", _("申诉成立")
    REJECTED = "rejected", _("申诉驳回")


class HonourStatus(models.TextChoices):
    NOMINATED = "nominated", _("已提名")
    APPROVED = "approved", _("审核通过")
    REJECTED = "rejected", _("未通过")
    AWARDED = "awarded", _("已授予")
