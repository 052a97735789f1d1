"""sharing pages: each views module owns its ``urlpatterns`` and is listed here."""

from shuzheng.data.sharing.views import grants, requests

app_name = "datasharing"

urlpatterns = [*requests.urlpatterns, *grants.urlpatterns]
