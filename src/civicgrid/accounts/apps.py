from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "civicgrid.accounts"
    label = "accounts"
    verbose_name = _("账号与部门")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from civicgrid.accounts.clients import api_keys_forget, api_rate_windows_prune
        from civicgrid.accounts.middleware import stamp_sign_in
        from civicgrid.accounts.models import ApiClient, ApiKey, User
        from civicgrid.accounts.throttle import on_locked_out
        from civicgrid.core import periodic

        user_locked_out.connect(on_locked_out, dispatch_uid="civicgrid.accounts.lockout_alert")
        user_logged_in.connect(stamp_sign_in, dispatch_uid="civicgrid.accounts.stamp_sign_in")
        periodic.register("accounts.api_rate_windows_prune", api_rate_windows_prune)
        # Keys are kept per process for a few seconds (clients.api_key_authenticate): a saved or deleted
        # key, client or account is read again at its next request (queryset updates call the function).
        for model in (ApiKey, ApiClient, User):
            for signal in (post_save, post_delete):
                signal.connect(
                    api_keys_forget, sender=model, dispatch_uid=f"api-keys-forget-{model.__name__}"
                )
