from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from civicgrid.core.errors import DomainError
from civicgrid.gazetteer.models import Place
from civicgrid.gazetteer.services import gazetteer_revision_bump, places_import


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV 或 GeoJSON 文件"))


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "category", "address", "lat", "lon", "initials"]
    list_filter = ["kind", "category"]
    search_fields = ["name", "initials", "pinyin", "address"]
    change_list_template = "admin/gazetteer/change_list.html"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        gazetteer_revision_bump()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        gazetteer_revision_bump()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        gazetteer_revision_bump()

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="gazetteer_place_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return redirect("admin:index")
        form = ImportForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                created, updated = places_import(data=upload.read(), filename=upload.name)
            except DomainError as exc:
                form.add_error("file", exc.message)
                status = 400
            else:
                self.message_user(
                    request,
                    _t("已导入：新增 %(created)d 条，更新 %(updated)d 条")
                    % {"created": created, "updated": updated},
                    messages.SUCCESS,
                )
                return redirect("admin:gazetteer_place_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("导入地名"),
        }
        return render(request, "admin/gazetteer/import.html", context, status=status)
