"""exchange API under /api/v1/data/exchange/: each module owns its ``urlpatterns``."""

from shuzheng.data.exchange.api import logs, registry

urlpatterns = [*registry.urlpatterns, *logs.urlpatterns]
