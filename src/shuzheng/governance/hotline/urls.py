"""12345 pages: the workbench's (intake, queues, handling, knowledge base, statistics,
rules), the portal's (我要反映, 我的诉求, knowledge) and the grid officer's mobile pages.
Each views module owns its ``urlpatterns``."""

from shuzheng.governance.hotline.views import (
    grid_mobile,
    intake,
    knowledge,
    open311_clients,
    portal,
    rules,
    stats,
    workbench,
)

app_name = "hotline"

urlpatterns = [
    *intake.urlpatterns,
    *workbench.urlpatterns,
    *portal.urlpatterns,
    *grid_mobile.urlpatterns,
    *knowledge.urlpatterns,
    *stats.urlpatterns,
    *rules.urlpatterns,
    *open311_clients.urlpatterns,
]
