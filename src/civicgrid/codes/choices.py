"""Choices of the codes app: kinds of code, their status, merchant grades, e-bike report states."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CodeKind(models.TextChoices):
    HOUSEHOLD = "household", _("居民室内码")
    PLACE = "place", _("室外码")
    MERCHANT = "merchant", _("商户创城码")
    STALL = "stall", _("流动摊位管理码")
    EBIKE = "ebike", _("电动车牌照码")


class CodeStatus(models.TextChoices):
    ACTIVE = "active", _("有效")  # scans open the entity's page
    REVOKED = "revoked", _("已吊销")  # scans are refused with 410 (also after a re-issue)


class Grade(models.TextChoices):
    """商户创城等级: A best … D worst (set by the latest inspection)."""

    A = "A", _("A 优秀")
    B = "B", _("B 良好")
    C = "C", _("C 合格")
    D = "D", _("D 不合格")


GRADE_COLOURS = {"A": "green", "B": "blue", "C": "orange", "D": "red", "": "grey"}


class EBikeReportStatus(models.TextChoices):
    PENDING = "pending", _("待确认")  # reported by anyone signed in, waits for an inspector
    CONFIRMED = "confirmed", _("已确认")  # an inspector saw it; counts towards a deduction
    DISMISSED = "dismissed", _("不成立")
