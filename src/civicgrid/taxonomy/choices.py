from django.db import models
from django.utils.translation import gettext_lazy as _


class CategoryKind(models.TextChoices):
    """GB/T 47678.5-2026 divides what goes wrong in a city into components and matters."""

    COMPONENT = "component", _("管理部件")
    MATTER = "matter", _("管理事项")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class Step(models.TextChoices):
    """The timed steps of the case loop (GB/T 30428.8 立案、处置和结案)."""

    REGISTER = "register", _("立案")
    DISPATCH = "dispatch", _("派遣")
    HANDLE = "handle", _("处置")
    VERIFY = "verify", _("核查")
    CLOSE = "close", _("结案")


class ClockUnit(models.TextChoices):
    WORKING_HOURS = "working", _("工作时")
    NATURAL_HOURS = "natural", _("自然时")


KIND_BY_LABEL = {
    "管理部件": CategoryKind.COMPONENT,
    "管理事项": CategoryKind.MATTER,
    "component": CategoryKind.COMPONENT,
    "matter": CategoryKind.MATTER,
}
