"""catalog API under /api/v1/data/catalog/: each module owns its ``urlpatterns``."""

urlpatterns: list = []
