from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from civicgrid.core.errors import DomainError
from civicgrid.grids import cellgen
from civicgrid.grids.boundaries import import_boundary_file
from civicgrid.grids.coords import CoordSystem
from civicgrid.grids.importer import GridImportError
from civicgrid.grids.models import Cell, CellMember, Community, District, Street
from civicgrid.grids.services import grid_revision_bump

LEVEL_LABELS = {"district": "区县", "street": "街道", "community": "社区", "cell": "单元网格"}


class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    readonly_fields = ["min_lon", "min_lat", "max_lon", "max_lat"]


@admin.register(District)
class DistrictAdmin(AreaAdmin):
    change_list_template = "admin/grids/district_change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_boundaries_view)
        return [path("import-boundaries/", view, name="grids_import_boundaries"), *super().get_urls()]

    def import_boundaries_view(self, request):
        """导入边界: a map service's GeoJSON (FeatureCollection or array) or a zipped Shapefile."""
        if not request.user.has_perm("grids.add_district"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("导入行政区划与网格边界"),
            "crs_choices": CoordSystem.choices,
            "crs": request.POST.get("crs", CoordSystem.GCJ02),
            "problems": [],
            "error": None,
        }
        status = 200
        if request.method == "POST":
            upload = request.FILES.get("file")
            try:
                if upload is None:
                    raise DomainError(
                        "file_required", "请选择边界文件", "choose a boundary file", field="file"
                    )
                result = import_boundary_file(upload.name, upload.read(), crs=context["crs"])
            except GridImportError as err:
                context.update(error=err, problems=err.problems)
                status = err.status
            except DomainError as err:
                context["error"] = err
                status = err.status
            else:
                done = "，".join(
                    f"{LEVEL_LABELS[level]} 新增 {result.created[level]} / 更新 {result.updated[level]}"
                    for level in LEVEL_LABELS
                    if result.created[level] or result.updated[level]
                )
                messages.success(request, _("边界已导入：%(done)s") % {"done": done})
                return redirect("admin:grids_district_changelist")
        return TemplateResponse(request, "admin/grids/import_boundaries.html", context, status=status)


class GenerateCellsMixin:
    """生成单元网格 from a street's or community's change page: preview on a map, then save."""

    change_form_template = "admin/grids/area_change_form.html"

    def get_urls(self):
        name = f"grids_{self.model._meta.model_name}_generate_cells"
        view = self.admin_site.admin_view(self.generate_cells_view)
        return [path("<int:object_id>/generate-cells/", view, name=name), *super().get_urls()]

    def generate_cells_view(self, request, object_id: int):
        if not request.user.has_perm("grids.add_cell"):
            raise PermissionDenied
        area = get_object_or_404(self.model, pk=object_id)
        size = request.POST.get("size_m") or request.GET.get("size_m") or ""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": area,
            "area": area,
            "title": _("生成单元网格：%(name)s") % {"name": area.name},
            "size_m": size or cellgen.DEFAULT_SIZE_M,
            "min_size": cellgen.MIN_SIZE_M,
            "max_size": cellgen.MAX_SIZE_M,
            "plan": None,
            "error": None,
        }
        status = 200
        try:
            if request.method == "POST":
                plan = cellgen.cells_generate(area=area, size_m=size)
                messages.success(
                    request,
                    _("已生成 %(count)s 个单元网格（%(first)s … %(last)s）")
                    % {"count": len(plan.cells), "first": plan.cells[0].code, "last": plan.cells[-1].code},
                )
                url = reverse("admin:grids_cell_changelist")
                return redirect(f"{url}?q={area.code}")
            if size:
                plan = cellgen.cells_plan(area=area, size_m=size)
                context.update(plan=plan, plan_geojson=plan.geojson(), counts=plan.counts())
        except DomainError as err:
            context["error"] = err
            status = err.status
        return TemplateResponse(request, "admin/grids/generate_cells.html", context, status=status)


@admin.register(Street)
class StreetAdmin(GenerateCellsMixin, AreaAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]


@admin.register(Community)
class CommunityAdmin(GenerateCellsMixin, AreaAdmin):
    list_display = ["code", "name", "street"]
    list_filter = ["street"]
    list_select_related = ["street"]


class CellMemberInline(admin.TabularInline):
    model = CellMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Cell)
class CellAdmin(AreaAdmin):
    list_display = ["code", "name", "community", "street", "land_use", "area_m2"]
    list_filter = ["street"]
    list_select_related = ["community", "street"]
    readonly_fields = [*AreaAdmin.readonly_fields, "area_m2", "street"]
    inlines = [CellMemberInline]
    # Polygons come in through `civicgrid import_grid` (validated GeoJSON), not a text box.
    fields = [
        "code",
        "name",
        "community",
        "land_use",
        "area_m2",
        "street",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
    ]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        obj.street_id = obj.community.street_id
        super().save_model(request, obj, form, change)
        grid_revision_bump()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        grid_revision_bump()


@admin.register(CellMember)
class CellMemberAdmin(admin.ModelAdmin):
    list_display = ["cell", "user", "assigned_at"]
    autocomplete_fields = ["cell", "user"]
    list_select_related = ["cell", "user"]
