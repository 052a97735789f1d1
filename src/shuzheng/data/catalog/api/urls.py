"""catalog API under /api/v1/data/catalog/: each module owns its ``urlpatterns``."""

from shuzheng.data.catalog.api import entries

urlpatterns: list = [*entries.urlpatterns]
