"""api_search."""

urlpatterns: list = []
