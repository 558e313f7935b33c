"""API scopes (接口权限范围): what an API client's key may call, on top of what its account's role may do.

A browser session is governed by its role alone; a request with an API client's key must also hold
the scope its endpoint declares (`accounts.auth.api_scope`). The role still decides which cases the
client sees and which moves it may make: a scope never widens a role.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    PUBLIC = "public", _("公开（无需令牌）")
    OPEN311 = "open311", _("Open311 公共接口")
    CASES_CREATE = "cases:create", _("上报案件")
    CASES_READ = "cases:read", _("读取案件（脱敏）")
    CASES_READ_PERSONAL = "cases:read:personal", _("读取案件的个人信息（姓名、电话）")
    CASES_ACT = "cases:act", _("办理本部门案件（签收、反馈、退回、延期）")
    STATS_READ = "stats:read", _("读取统计")
    EXPORTS = "exports", _("批量导出")
    WEBHOOKS_MANAGE = "webhooks:manage", _("管理 webhook 订阅")
    ACCOUNT_READ = "account:read", _("读取本账号信息")
    NOTIFICATIONS_USE = "notifications:use", _("读取并标记本账号的通知")
    POINTS_USE = "points:use", _("本账号的积分、兑换与不文明行为举报")
    CODES_MANAGE = "codes:manage", _("管理二维码/编码")
    CLASSIFIER_USE = "classifier:use", _("智能分类建议与准确率")
    REPLYQUALITY_USE = "replyquality:use", _("答复质量提示")
    HOTSPOTS_READ = "hotspots:read", _("读取热点问题")
    EVALUATION_USE = "evaluation:use", _("文明测评：点位考察、整改任务与测评体系")


# Scopes a client may be given (PUBLIC is what an endpoint without authentication declares).
GRANTABLE = [s for s in Scope if s != Scope.PUBLIC]
