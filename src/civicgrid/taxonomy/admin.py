from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from civicgrid.audit.services import export_record
from civicgrid.core.errors import DomainError
from civicgrid.core.text import csv_decode
from civicgrid.taxonomy.csvio import categories_export, categories_import, routing_export, routing_import
from civicgrid.taxonomy.models import Category, RoutingRule, TimeLimit
from civicgrid.taxonomy.routing import routing_ambiguities


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV 文件"))


class CsvAdminMixin:
    """Adds "export as CSV" (action) and "import CSV" (a page linked from the list)."""

    csv_filename = "export.csv"
    change_list_template = "admin/taxonomy/csv_change_list.html"

    def export_csv(self, request, queryset) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def import_csv(self, text: str) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    @admin.action(description=_("导出为 CSV"))
    def export_as_csv(self, request, queryset):
        response = HttpResponse(self.export_csv(request, queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.csv_filename}"'
        # The selection is the filter: the ids of the rows picked on the list page.
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        export_record(
            actor=request.user,
            request=request,
            name=self.csv_filename,
            filters={"ids": ids[:1000], **{k: v[-1] for k, v in request.GET.lists()}},
            rows=len(ids),
            personal=False,
        )
        return response

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = CsvUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                text = csv_decode(form.cleaned_data["file"].read())
                self.message_user(request, self.import_csv(text), messages.SUCCESS)
                return redirect(
                    f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist"
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("导入 CSV"),
        }
        return render(request, "admin/taxonomy/csv_import.html", context)


@admin.register(Category)
class CategoryAdmin(CsvAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "major_name",
        "legacy_code",
        "is_local",
        "default_urgency",
        "auto_dispatch",
        "verify_evidence",
        "active",
    ]
    list_filter = [
        "kind",
        "major_name",
        "is_local",
        "default_urgency",
        "auto_dispatch",
        "verify_evidence",
        "needs_legal_basis",
        "active",
    ]
    search_fields = ["code", "name", "legacy_code", "keywords"]
    actions = ["export_as_csv"]
    csv_filename = "categories.csv"

    def export_csv(self, request, queryset):
        return categories_export(queryset)

    def import_csv(self, text):
        created, updated = categories_import(text, is_local=True)
        return f"{created} created, {updated} updated"


@admin.register(TimeLimit)
class TimeLimitAdmin(admin.ModelAdmin):
    list_display = ["category", "step", "urgency", "hours", "unit"]
    list_filter = ["step", "urgency", "unit"]
    autocomplete_fields = ["category"]
    list_select_related = ["category"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(CsvAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "major_code", "category", "area_code", "department", "active", "note"]
    list_filter = ["kind", "major_code", "active", "department"]
    search_fields = ["category__code", "category__name", "area_code", "department__name"]
    autocomplete_fields = ["category", "department"]
    list_select_related = ["category", "department"]
    actions = ["export_as_csv"]
    csv_filename = "routing.csv"

    def export_csv(self, request, queryset):
        return routing_export(queryset.select_related("category", "department"))

    def import_csv(self, text):
        return f"{routing_import(text)} rules loaded"

    def changelist_view(self, request, extra_context=None):
        rules = RoutingRule.objects.filter(active=True)
        for first, second in routing_ambiguities(rules):
            self.message_user(
                request,
                _("规则冲突：#%(first)s / #%(second)s") % {"first": first.pk, "second": second.pk},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)
