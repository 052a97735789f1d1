from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    """Cursor (keyset) pagination: stable while rows are added, constant cost at depth."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200
