"""办件 API under /api/v1/: each module owns its ``urlpatterns``."""

from shuzheng.services.cases.api import applicant, staff, supervision

urlpatterns = [*applicant.urlpatterns, *staff.urlpatterns, *supervision.urlpatterns]
