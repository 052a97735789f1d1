"""办件 pages: the portal's (apply, 我的办件, progress) and the workbench's (queues,
handling, 电子监察). Each views module owns its ``urlpatterns``."""

from shuzheng.services.cases.views import portal, supervision, window, workbench

app_name = "cases"

urlpatterns = [
    *portal.urlpatterns,
    *window.urlpatterns,
    *workbench.urlpatterns,
    *supervision.urlpatterns,
]
