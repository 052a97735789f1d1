"""exchange API under /api/v1/data/exchange/: each module owns its ``urlpatterns``."""

urlpatterns: list = []
