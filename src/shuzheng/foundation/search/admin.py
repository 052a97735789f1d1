from django.contrib import admin

from shuzheng.foundation.search.models import SearchDocument, Synonym


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ("__str__", "note", "is_active")
    list_filter = ("is_active",)
    search_fields = ("terms", "note")


@admin.register(SearchDocument)
class SearchDocumentAdmin(admin.ModelAdmin):
    """Read-only: the index is derived data (``manage.py search rebuild`` re-creates it)."""

    list_display = ("title", "model_label", "object_id", "access_hint", "updated_at")
    list_filter = ("model_label",)
    search_fields = ("title",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
