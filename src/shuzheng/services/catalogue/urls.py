"""Catalogue pages: the portal's search and 办事指南, the workbench's item management.
Each views module owns its ``urlpatterns``."""

from shuzheng.services.catalogue import views_guide, views_manage, views_search

app_name = "catalogue"

urlpatterns = [*views_search.urlpatterns, *views_guide.urlpatterns, *views_manage.urlpatterns]
