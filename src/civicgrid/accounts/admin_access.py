"""Who may use a domain app's admin pages: the configuration (配置) is for those `roles.py` lets configure,
and nothing is deleted there. Each app's admin mixes these in beside `admin.ModelAdmin`."""

from __future__ import annotations

from civicgrid.accounts.roles import Capability, user_can


class ConfigureOnly:
    """Visible and editable for administrators only (roles.py decides); nothing is deleted here."""

    def has_module_permission(self, request) -> bool:
        return user_can(request.user, Capability.CONFIGURE)

    def has_view_permission(self, request, obj=None) -> bool:
        return user_can(request.user, Capability.CONFIGURE)

    def has_add_permission(self, request, obj=None) -> bool:
        return user_can(request.user, Capability.CONFIGURE)

    def has_change_permission(self, request, obj=None) -> bool:
        return user_can(request.user, Capability.CONFIGURE)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnly(ConfigureOnly):
    """Shown to administrators, changed only through the app's services (admin actions)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
