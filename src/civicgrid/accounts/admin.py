from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import (
    ApiClient,
    ApiKey,
    Department,
    LoginCode,
    PersonalDataErasure,
    SmsDelivery,
    User,
)
from civicgrid.core.masking import mask_phone


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["id"]
    list_display = ["phone", "real_name", "role", "department", "command_area", "is_active"]
    list_filter = ["role", "is_active", "department"]
    search_fields = ["phone", "real_name"]
    autocomplete_fields = ["department"]
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        (_("身份"), {"fields": ("real_name", "role", "department", "command_area")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("phone", "role", "department", "password1", "password2")}),
    )


class ApiKeyInline(admin.TabularInline):
    """A client's keys, read-only: keys are issued by `civicgrid apiclient key` (raw value shown once)."""

    model = ApiKey
    extra = 0
    can_delete = False
    fields = ["prefix", "digest", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ApiClientForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = [
            "name",
            "kind",
            "department",
            "user",
            "contact_name",
            "contact_phone",
            "scopes",
            "streets",
            "rate_limit_per_minute",
            "is_active",
        ]

    def clean_scopes(self):
        from civicgrid.accounts.clients import _checked_scopes
        from civicgrid.core.errors import DomainError

        scopes = self.cleaned_data.get("scopes") or []
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise forms.ValidationError(_("权限范围应为字符串列表"))
        try:
            return _checked_scopes(scopes)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "kind", "user", "department", "rate_limit_per_minute", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "user__phone", "contact_name"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]
    inlines = [ApiKeyInline]
    actions = ["revoke_keys"]

    @admin.action(description=_("吊销所选客户端的全部密钥"))
    def revoke_keys(self, request, queryset):
        from civicgrid.accounts.clients import api_key_revoke

        count = 0
        for key in ApiKey.objects.filter(client__in=queryset, revoked_at__isnull=True):
            api_key_revoke(key=key)
            count += 1
        self.message_user(request, _("已吊销 %(n)d 个密钥") % {"n": count})


@admin.register(LoginCode)
class LoginCodeAdmin(admin.ModelAdmin):
    """Read-only: support staff see whether a code was sent, tried and used (never the code itself)."""

    list_display = ["masked_phone", "created_at", "expires_at", "attempts", "used_at"]
    search_fields = ["phone"]
    exclude = ["code_hash"]
    readonly_fields = ["phone", "created_at", "expires_at", "attempts", "used_at"]

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: LoginCode) -> str:
        return mask_phone(obj.phone)

    def has_add_permission(self, request):  # codes are sent from the login page only
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PersonalDataErasure)
class PersonalDataErasureAdmin(admin.ModelAdmin):
    """Read-only: erasures are made by `civicgrid erase_personal_data` and never changed."""

    list_display = ["created_at", "person", "actor", "reason"]
    readonly_fields = ["person", "actor", "reason", "masked", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SmsDelivery)
class SmsDeliveryAdmin(admin.ModelAdmin):
    """Read-only: what the SMS gateway took or refused, for cost and for troubleshooting with the provider."""

    list_display = ["created_at", "provider", "kind", "phone_masked", "status", "message_id", "error"]
    list_filter = ["status", "provider", "kind", "created_at"]
    search_fields = ["message_id", "phone_masked"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
