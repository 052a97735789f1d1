"""sharing API under /api/v1/data/sharing/: each module owns its ``urlpatterns``."""

urlpatterns: list = []
