from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "civicgrid.notifications"
    label = "notifications"
    verbose_name = _("通知")

    def ready(self) -> None:
        from civicgrid.accounts.security import alert_listener
        from civicgrid.notifications.services import notify_administrators

        alert_listener(notify_administrators)
