"""sharing API under /api/v1/data/sharing/: each module owns its ``urlpatterns``."""

from shuzheng.data.sharing.api import grants, requests

urlpatterns = [*requests.urlpatterns, *grants.urlpatterns]
