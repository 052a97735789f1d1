"""Grid reference data in the admin: read-only for the holders of ``grid.manage`` (outlines
and cells change through ``grid_load`` / ``services.load_demo``, which audit the change)."""

from django.contrib import admin

from shuzheng.foundation.web.admin_site import ReadOnlyAdmin
from shuzheng.governance.grid.models import Boundary, GridCell


@admin.register(Boundary)
class BoundaryAdmin(ReadOnlyAdmin):
    view_capability = "grid.manage"
    list_display = ("organisation", "geometry_type", "schematic", "source")
    list_filter = ("schematic", "geometry_type")
    list_select_related = ("organisation",)
    search_fields = ("organisation__name",)
    exclude = ("geometry",)


@admin.register(GridCell)
class GridCellAdmin(ReadOnlyAdmin):
    view_capability = "grid.manage"
    list_display = ("code", "name", "street", "district", "officer", "is_active")
    list_filter = ("is_active", "district")
    list_select_related = ("street", "district", "officer")
    search_fields = ("=code", "name", "street__name")
    exclude = ("geometry",)
