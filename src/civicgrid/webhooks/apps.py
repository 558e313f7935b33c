"""Webhooks (Standard Webhooks): subscriptions per API client, signed delivery by the worker, replay."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "civicgrid.webhooks"
    label = "webhooks"
    verbose_name = _("Webhook 订阅与投递")

    def ready(self) -> None:
        from civicgrid.accounts.services import personal_data_eraser
        from civicgrid.cases import hooks
        from civicgrid.core import periodic
        from civicgrid.webhooks import services
        from civicgrid.webhooks.choices import EVENT_OF_ACTION
        from civicgrid.webhooks.erasure import erase_personal_data

        for action in EVENT_OF_ACTION:
            hooks.on(action)(services.on_case_event)
        hooks.on_overdue(services.on_case_overdue)
        periodic.register("webhooks.deliver", services.run_once)
        personal_data_eraser(erase_personal_data)
