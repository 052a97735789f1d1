"""quality pages: each views module owns its ``urlpatterns`` and is listed here."""

from shuzheng.data.quality.views import issues, pages, rules

app_name = "dataquality"

urlpatterns = [*pages.urlpatterns, *rules.urlpatterns, *issues.urlpatterns]
