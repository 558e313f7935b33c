"""Admin of the classifier versions (分类模型): the figures, retraining, and activation by an admin.

The fields are read-only (a version is what its training made it). Activating one is recorded in the
model-change log (django-auditlog tracks ModelVersion, see settings.AUDITLOG_INCLUDE_TRACKING_MODELS).
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.shortcuts import redirect
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from civicgrid.core.errors import DomainError

from .models import ModelVersion, NightlyRetrain, Target
from .store import model_version_load
from .training import model_activate, model_retrain

RETRAIN_ACTIONS = ("retrain_category", "retrain_department")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "label_count",
        "train_count",
        "heldout_count",
        "accuracy",
        "macro_f1",
        "trained_at",
        "trained_by",
        "is_active",
    ]
    list_filter = ["target"]
    actions = ["activate_selected", *RETRAIN_ACTIONS]
    fields = [
        "target",
        "is_active",
        "activated_at",
        "note",
        "label_count",
        "train_count",
        "heldout_count",
        "accuracy",
        "macro_f1",
        "per_label_table",
        "confusion_list",
        "source",
        "file",
        "sha256",
        "trained_at",
        "trained_by",
        "labels",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing on the page is editable: no save buttons.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("当前启用"), boolean=True, ordering="active")
    def is_active(self, obj: ModelVersion) -> bool:
        return obj.active

    @admin.display(description=_("标签数"))
    def label_count(self, obj: ModelVersion) -> int:
        return len(obj.labels)

    @admin.display(description=_("准确率"))
    def accuracy(self, obj: ModelVersion):
        value = (obj.metrics or {}).get("accuracy")
        return "-" if value is None else f"{value:.4f}"

    @admin.display(description="macro-F1")
    def macro_f1(self, obj: ModelVersion):
        value = (obj.metrics or {}).get("macro_f1")
        return "-" if value is None else f"{value:.4f}"

    @admin.display(description=_("各标签指标（留出集）"))
    def per_label_table(self, obj: ModelVersion):
        rows = (obj.metrics or {}).get("per_label") or {}
        if not rows:
            return "-"
        ordered = sorted(rows.items(), key=lambda item: (-item[1]["support"], item[0]))
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (label, f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}", r["support"])
                for label, r in ordered
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>F1</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("标签"),
            _("精确率"),
            _("召回率"),
            _("样本数"),
            body,
        )

    @admin.display(description=_("主要混淆"))
    def confusion_list(self, obj: ModelVersion):
        pairs = (obj.metrics or {}).get("confusions") or []
        if not pairs:
            return "-"
        return format_html_join(format_html("<br>"), "{} → {}: {}", ((a, b, n) for a, b, n in pairs))

    # --- actions ------------------------------------------------------------------------------------------
    @admin.action(description=_("启用所选模型"), permissions=["change"])
    def activate_selected(self, request, queryset):
        chosen = list(queryset)
        if len({v.target for v in chosen}) != len(chosen):
            self.message_user(request, _("每个预测目标只能启用一个模型"), messages.ERROR)
            return
        for version in chosen:
            try:
                model_version_load(version)  # a refused file is never made active
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return
        for version in chosen:
            model_activate(version=version, by=request.user)
            self.message_user(request, _("已启用 %(version)s") % {"version": version}, messages.SUCCESS)

    def _retrain(self, request, target: str) -> None:
        try:
            registered = model_retrain(target, by=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        level = messages.SUCCESS if registered.activated else messages.WARNING
        self.message_user(request, f"{registered.version}：{registered.version.note}", level)

    @admin.action(description=_("重新训练（问题分类）"), permissions=["change"])
    def retrain_category(self, request, queryset):
        self._retrain(request, Target.CATEGORY)

    @admin.action(description=_("重新训练（处置部门）"), permissions=["change"])
    def retrain_department(self, request, queryset):
        self._retrain(request, Target.DEPARTMENT)

    def changelist_view(self, request, extra_context=None):
        # Retraining needs no selection (the first model has no row to select).
        action = request.POST.get("action") if request.method == "POST" else None
        if action in RETRAIN_ACTIONS and not request.POST.getlist(ACTION_CHECKBOX_NAME):
            if not self.has_change_permission(request):
                return super().changelist_view(request, extra_context)
            getattr(self, action)(request, self.get_queryset(request).none())
            return redirect(request.get_full_path())
        return super().changelist_view(request, extra_context)


@admin.register(NightlyRetrain)
class NightlyRetrainAdmin(admin.ModelAdmin):
    list_display = ["day", "started_at", "outcome"]
    readonly_fields = ["day", "started_at", "outcome"]

    def has_add_permission(self, request) -> bool:
        return False
