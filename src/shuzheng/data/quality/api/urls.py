"""quality API under /api/v1/data/quality/: each module owns its ``urlpatterns``."""

from shuzheng.data.quality.api import checks, rules, scorecards

urlpatterns = [*scorecards.urlpatterns, *rules.urlpatterns, *checks.urlpatterns]
