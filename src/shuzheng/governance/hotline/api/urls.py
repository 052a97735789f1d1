"""12345 API under /api/v1/hotline/: each module owns its ``urlpatterns``."""

from shuzheng.governance.hotline.api import classify, knowledge, orders

urlpatterns = [*orders.urlpatterns, *knowledge.urlpatterns, *classify.urlpatterns]
