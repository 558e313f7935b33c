from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "civicgrid.notifications"
    label = "notifications"
    verbose_name = "通知 Notifications"
