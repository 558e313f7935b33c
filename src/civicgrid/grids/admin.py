from django.contrib import admin

from civicgrid.grids.models import Cell, CellMember, Community, District, Street
from civicgrid.grids.services import grid_revision_bump


class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    readonly_fields = ["min_lon", "min_lat", "max_lon", "max_lat"]


@admin.register(District)
class DistrictAdmin(AreaAdmin):
    pass


@admin.register(Street)
class StreetAdmin(AreaAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]


@admin.register(Community)
class CommunityAdmin(AreaAdmin):
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
