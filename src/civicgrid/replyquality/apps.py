from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReplyqualityConfig(AppConfig):
    name = "civicgrid.replyquality"
    label = "replyquality"
    verbose_name = _("答复质量")

    def ready(self) -> None:
        from civicgrid.cases import hooks
        from civicgrid.cases.choices import Action
        from civicgrid.replyquality.services import on_feedback

        # A feedback (处置反馈, also the answer to a 咨询) gets its reply-quality score in its transaction.
        hooks.on(Action.FEEDBACK)(on_feedback)
