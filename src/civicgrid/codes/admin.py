"""Admin for codes: entities created one by one (a code is issued on save), CSV import,
revoke / re-issue / print as actions on the code list."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from civicgrid.codes import services
from civicgrid.codes.choices import CodeKind, CodeStatus
from civicgrid.codes.csvio import COLUMNS, codes_import
from civicgrid.codes.models import (
    Code,
    EBike,
    EBikeReport,
    Household,
    Merchant,
    MerchantInspection,
    Place,
    ScanDay,
    Stall,
)
from civicgrid.codes.validation import parse_polygon
from civicgrid.codes.views import pdf_response
from civicgrid.core.errors import DomainError
from civicgrid.core.text import csv_decode
from civicgrid.grids.services import place_resolve


class CsvImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("码类型"), choices=CodeKind.choices)
    file = forms.FileField(label=_("CSV 文件"))


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "label_col", "status", "created_at", "revoked_at", "links"]
    list_filter = ["kind", "status"]
    search_fields = ["payload", "place__name", "merchant__name", "ebike__plate", "place__component_code"]
    readonly_fields = [
        "kind",
        "payload",
        "kid",
        "status",
        "created_at",
        "revoked_at",
        "reissued_from",
        "url_col",
        "household",
        "place",
        "merchant",
        "stall",
        "ebike",
        "links",
    ]
    fields = readonly_fields
    actions = ["print_pdf", "revoke", "reissue"]
    change_list_template = "admin/codes/code_change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # codes are issued when an entity is created (or re-issued here)

    @admin.display(description=_("标签"))
    def label_col(self, obj: Code) -> str:
        return obj.label

    @admin.display(description=_("链接"))
    def url_col(self, obj: Code) -> str:
        return obj.url

    @admin.display(description=_("打印"))
    def links(self, obj: Code) -> str:
        return format_html(
            '<a href="{}">PNG</a> · <a href="{}">SVG</a> · <a href="{}">{}</a>',
            reverse("codes:qr_png", args=[obj.pk]),
            reverse("codes:qr_svg", args=[obj.pk]),
            obj.path,
            _("扫码页"),
        )

    @admin.action(description=_("打印"))
    def print_pdf(self, request, queryset):
        return pdf_response(list(queryset.order_by("id")))

    @admin.action(description=_("吊销 (revoke)"))
    def revoke(self, request, queryset):
        done = 0
        for code in queryset.filter(status=CodeStatus.ACTIVE):
            services.code_revoke(code=code, actor=request.user)
            done += 1
        self.message_user(request, _("已吊销 %(n)d 个 (revoked)") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("重新生成"))
    def reissue(self, request, queryset):
        done = 0
        for code in queryset:
            try:
                services.code_reissue(code=code, actor=request.user)
                done += 1
            except DomainError as err:
                self.message_user(request, f"#{code.pk}: {err.message}", messages.WARNING)
        self.message_user(request, _("已重新生成 %(n)d 个 (re-issued)") % {"n": done}, messages.SUCCESS)

    def get_urls(self):
        return [
            path("import-csv/", self.admin_site.admin_view(self.import_view), name="codes_code_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        form = CsvImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                text = csv_decode(form.cleaned_data["file"].read())
                codes = codes_import(kind=form.cleaned_data["kind"], text=text, actor=request.user)
            except DomainError as err:
                errors = err.message_zh.splitlines()
            else:
                self.message_user(
                    request, _("已导入 %(n)d 个 (imported)") % {"n": len(codes)}, messages.SUCCESS
                )
                return redirect("admin:codes_code_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "errors": errors,
            "columns": list(COLUMNS.items()),
            "title": _("导入 CSV"),
        }
        return render(request, "admin/codes/import.html", context, status=422 if errors else 200)


class IssueOnCreateMixin:
    """Saving a new entity in the admin issues its first code (and says where to print it)."""

    code_kind = ""

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            code = services.code_issue(entity=form.instance, kind=self.code_kind, actor=request.user)
            self.message_user(
                request,
                format_html(
                    _('已生成二维码 <a href="{}">#{}</a>'),
                    reverse("admin:codes_code_change", args=[code.pk]),
                    code.pk,
                ),
            )


class PolygonField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "help_text", _('GeoJSON 多边形 (WGS-84)，例如 {"type":"Polygon","coordinates":[[[lon,lat],…]]}')
        )
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_polygon(value, field="")
        except DomainError as err:
            raise forms.ValidationError(err.message) from err


class GeometryAdminForm(forms.ModelForm):
    geometry_field = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.geojson:
            self.initial["geometry_geojson"] = json.dumps(self.instance.geojson)

    def save(self, commit: bool = True):
        self.instance.set_shape(self.cleaned_data.get("geometry_geojson"))
        return super().save(commit)


class LocatedMixin:
    """Refuse points outside the city (the same check as the services)."""

    def clean(self):
        data = super().clean()
        if data.get("lat") is not None and data.get("lon") is not None:
            try:
                place_resolve(lat=data["lat"], lon=data["lon"])
            except DomainError as err:
                self.add_error("lat", err.message)
        return data


class MerchantForm(LocatedMixin, GeometryAdminForm):
    geometry_geojson = PolygonField(label=_("门前三包责任区"), required=False)

    class Meta:
        model = Merchant
        fields = ["name", "owner", "license_no", "address", "lat", "lon", "grade"]


class StallForm(GeometryAdminForm):
    geometry_geojson = PolygonField(label=_("允许经营区域"), required=True)

    class Meta:
        model = Stall
        fields = ["vendor", "goods", "hours_start", "hours_end"]


class PlaceForm(LocatedMixin, forms.ModelForm):
    class Meta:
        model = Place
        fields = ["name", "category", "component_code", "lat", "lon", "address"]

    def save(self, commit: bool = True):
        self.instance.cell = place_resolve(lat=self.instance.lat, lon=self.instance.lon).cell
        return super().save(commit)


@admin.register(Household)
class HouseholdAdmin(IssueOnCreateMixin, admin.ModelAdmin):
    code_kind = CodeKind.HOUSEHOLD
    list_display = ["__str__", "community", "building", "unit", "room"]
    list_filter = ["community"]
    search_fields = ["building", "room", "community__name"]
    autocomplete_fields = ["residents"]


@admin.register(Place)
class PlaceAdmin(IssueOnCreateMixin, admin.ModelAdmin):
    code_kind = CodeKind.PLACE
    form = PlaceForm
    list_display = ["component_code", "name", "category", "cell"]
    list_filter = ["category"]
    search_fields = ["component_code", "name"]


class InspectionInline(admin.TabularInline):
    model = MerchantInspection
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "inspector", "grade", "violation", "note", "uncivil_record_id"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Merchant)
class MerchantAdmin(IssueOnCreateMixin, admin.ModelAdmin):
    code_kind = CodeKind.MERCHANT
    form = MerchantForm
    list_display = ["name", "address", "grade", "license_no"]
    list_filter = ["grade"]
    search_fields = ["name", "address", "license_no"]
    autocomplete_fields = ["owner"]
    inlines = [InspectionInline]


@admin.register(Stall)
class StallAdmin(IssueOnCreateMixin, admin.ModelAdmin):
    code_kind = CodeKind.STALL
    form = StallForm
    list_display = ["__str__", "goods", "hours_start", "hours_end"]
    autocomplete_fields = ["vendor"]


@admin.register(EBike)
class EBikeAdmin(IssueOnCreateMixin, admin.ModelAdmin):
    code_kind = CodeKind.EBIKE
    list_display = ["plate", "owner"]
    search_fields = ["plate"]
    autocomplete_fields = ["owner"]


@admin.register(EBikeReport)
class EBikeReportAdmin(admin.ModelAdmin):
    list_display = ["ebike", "created_at", "status", "decided_at", "uncivil_record_id"]
    list_filter = ["status"]
    readonly_fields = [
        "ebike",
        "reporter",
        "lat",
        "lon",
        "note",
        "created_at",
        "status",
        "decided_by",
        "decided_at",
        "uncivil_record_id",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ScanDay)
class ScanDayAdmin(admin.ModelAdmin):
    list_display = ["code", "day", "count"]
    list_filter = ["day"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
