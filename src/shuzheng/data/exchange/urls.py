"""exchange pages: each views module owns its ``urlpatterns`` and is listed here."""

from shuzheng.data.exchange.views import clients, dashboard, evidence, logs, services

app_name = "exchange"

urlpatterns = [
    *services.urlpatterns,
    *clients.urlpatterns,
    *dashboard.urlpatterns,
    *logs.urlpatterns,
    *evidence.urlpatterns,
]
