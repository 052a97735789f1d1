"""quality API under /api/v1/data/quality/: each module owns its ``urlpatterns``."""

urlpatterns: list = []
