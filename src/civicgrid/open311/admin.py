from django.contrib import admin

from civicgrid.open311.models import Open311Attribute, Open311Request


@admin.register(Open311Attribute)
class Open311AttributeAdmin(admin.ModelAdmin):
    list_display = ["category", "order", "code", "datatype", "required", "variable", "description"]
    list_filter = ["datatype", "required"]
    search_fields = ["code", "description", "category__code", "category__name"]
    autocomplete_fields = ["category"]


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    list_display = ["case", "client", "client_request_id", "created_at"]
    search_fields = ["case__number", "client_request_id", "token"]
    readonly_fields = [f.name for f in Open311Request._meta.fields]

    def has_add_permission(self, request):
        return False
