"""Catalogue API under /api/v1/: the public catalogue, search, and item management."""

from shuzheng.services.catalogue import api, api_search

urlpatterns = [*api.urlpatterns, *api_search.urlpatterns]
