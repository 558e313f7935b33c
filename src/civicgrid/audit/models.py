"""The access audit (访问审计): logins, views of unmasked personal data, exports, staff changes.

Changes to configuration and personal-data models are recorded by django-auditlog (settings
AUDITLOG_INCLUDE_TRACKING_MODELS) in its own table; both tables are append-only in the database
(core/immutable.py, migration audit 0001) and expire after CIVICGRID_AUDIT_RETENTION_DAYS.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core import immutable


class AccessKind(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    PERSONAL_DATA = "personal_data", _("查看个人信息")
    EXPORT = "export", _("导出")
    STAFF = "staff", _("人员变更")


class AccessEvent(models.Model):
    """One access: who, what kind, whose data or which export, when, why, from where.

    Append-only: no row changes (but for `credential`, masked by an erasure of personal data) and
    none is deleted before the retention period ends (`expires`: audit.services.audit_purge_expired).
    """

    IMMUTABLE = immutable.Columns(maskable=("credential",), expires=True)

    at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("类别"), max_length=20, choices=AccessKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Whose personal data was shown (the case's reporter, if the case has one).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("当事人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # What: "case:<number>" for a case's contact data, the export's name, "sms"/"password" for a login.
    target = models.CharField(_("对象"), max_length=100, blank=True, db_index=True)
    reason = models.CharField(_("事由"), max_length=500, blank=True)
    # The phone number typed at a failed login (the account, if there is one, is `subject`).
    credential = models.CharField(_("登录名"), max_length=40, blank=True)
    # Kind-specific facts: an export's filter and row count, the fields shown, the login path.
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("访问记录")
        verbose_name_plural = _("访问记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["kind", "at"], name="access_kind_at_idx"),
            models.Index(fields=["actor", "at"], name="access_actor_at_idx"),
            models.Index(fields=["subject", "at"], name="access_subject_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} #{self.actor_id or '-'}"


class ApiCall(models.Model):
    """One API request made with an API client's key (API 调用记录): who, which endpoint, the answer, how long.

    Written by audit.middleware.ApiCallLogMiddleware once the answer is ready. Append-only like the
    access audit, and kept CIVICGRID_API_CALL_RETENTION_DAYS (audit.services.api_call_purge_expired).
    """

    IMMUTABLE = immutable.Columns(expires=True)

    at = models.DateTimeField(_("时间"), db_index=True)
    client = models.ForeignKey(
        "accounts.ApiClient",
        verbose_name=_("客户端"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    key_prefix = models.CharField(_("密钥前缀"), max_length=12, blank=True)
    method = models.CharField(_("方法"), max_length=10)
    # The route pattern (`/api/cases/{number}`) and the path that was asked for.
    endpoint = models.CharField(_("接口"), max_length=200)
    path = models.CharField(_("路径"), max_length=500)
    status = models.PositiveSmallIntegerField(_("状态码"))
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"))
    # The case the path names, or the case the call created.
    case_number = models.CharField(_("案件编号"), max_length=20, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("API 调用记录")
        verbose_name_plural = _("API 调用记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["client", "at"], name="apicall_client_at_idx"),
            models.Index(fields=["status", "at"], name="apicall_status_at_idx"),
            models.Index(fields=["case_number", "at"], name="apicall_case_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status}"
