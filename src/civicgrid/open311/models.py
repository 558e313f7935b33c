"""Open311 GeoReport v2: the questions a service (a category) asks, and what each POSTed request brought.

A service is a taxonomy Category; its definition's attributes are `Open311Attribute` rows managed in the
admin. A request POSTed through /open311/v2/ becomes a case like any other (cases.intake); the
`Open311Request` beside it keeps what Open311 adds: the client, its token, the client's own id, the
attribute answers and a `media_url` link (never fetched by the server; shown to staff only).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import ApiClient
from civicgrid.cases.models import Case
from civicgrid.taxonomy.models import Category


class Datatype(models.TextChoices):
    STRING = "string", _("短文本")
    NUMBER = "number", _("数字")
    DATETIME = "datetime", _("日期时间")
    TEXT = "text", _("长文本")
    SINGLEVALUELIST = "singlevaluelist", _("单选")
    MULTIVALUELIST = "multivaluelist", _("多选")


LIST_DATATYPES = frozenset({Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST})


class Open311Attribute(models.Model):
    """One question of a service definition (GeoReport v2 `attribute`)."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="open311_attributes", verbose_name=_("分类")
    )
    code = models.CharField(_("编码"), max_length=60)
    datatype = models.CharField(_("数据类型"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("必填"), default=False)
    # false: an information line only, the client asks nothing (the spec's `variable`)
    variable = models.BooleanField(_("需要回答"), default=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    description = models.CharField(_("问题"), max_length=300)
    datatype_description = models.CharField(_("格式说明"), max_length=200, blank=True)
    # [{"key": "...", "name": "..."}] for the list datatypes
    values = models.JSONField(_("可选值"), default=list, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("Open311 服务属性")
        verbose_name_plural = _("Open311 服务属性")
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category.code} {self.code}"

    def value_keys(self) -> list[str]:
        return [str(v.get("key")) for v in self.values or [] if isinstance(v, dict)]


class Open311Request(models.Model):
    """What an Open311 POST brought beside the case it made."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="open311", verbose_name=_("案件")
    )
    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="open311_requests", verbose_name=_("接入系统")
    )
    token = models.CharField(_("令牌"), max_length=40, unique=True)
    client_request_id = models.CharField(_("对方编号"), max_length=64, blank=True)
    attributes = models.JSONField(_("属性"), default=dict, blank=True)
    media_url = models.URLField(_("图片链接（未下载）"), max_length=1000, blank=True)
    device_id = models.CharField(_("设备"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")

    def __str__(self) -> str:
        return f"{self.client_id}:{self.token}"
