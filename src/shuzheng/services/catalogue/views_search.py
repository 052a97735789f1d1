"""views_search."""

urlpatterns: list = []
