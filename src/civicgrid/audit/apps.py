from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "civicgrid.audit"
    label = "audit"
    verbose_name = _("访问审计")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from civicgrid.accounts.services import personal_data_eraser
        from civicgrid.audit import receivers
        from civicgrid.audit.services import (
            api_call_purge_expired,
            audit_erase_personal_data,
            audit_purge_expired,
        )
        from civicgrid.core import periodic

        # Every login, by password (console, admin) or SMS code (H5), and every failed attempt.
        user_logged_in.connect(receivers.login_recorded, dispatch_uid="audit.login")
        user_login_failed.connect(receivers.login_failure_recorded, dispatch_uid="audit.login_failed")
        # Entries older than CIVICGRID_AUDIT_RETENTION_DAYS go: the one deletion the table allows.
        periodic.register("audit.purge_expired", audit_purge_expired)
        periodic.register("audit.purge_api_calls", api_call_purge_expired)
        # An erasure masks the phone numbers typed at failed logins (the rest names accounts by id).
        personal_data_eraser(audit_erase_personal_data)
