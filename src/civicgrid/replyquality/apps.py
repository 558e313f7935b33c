from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReplyqualityConfig(AppConfig):
    name = "civicgrid.replyquality"
    label = "replyquality"
    verbose_name = _("答复质量")
