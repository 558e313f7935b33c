from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "civicgrid.accounts"
    label = "accounts"
    verbose_name = _("账号与部门")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from civicgrid.accounts.clients import api_rate_windows_prune
        from civicgrid.accounts.middleware import stamp_sign_in
        from civicgrid.accounts.throttle import on_locked_out
        from civicgrid.core import periodic

        user_locked_out.connect(on_locked_out, dispatch_uid="civicgrid.accounts.lockout_alert")
        user_logged_in.connect(stamp_sign_in, dispatch_uid="civicgrid.accounts.stamp_sign_in")
        periodic.register("accounts.api_rate_windows_prune", api_rate_windows_prune)
