"""Pages: supervision (see views/__init__.py)."""

urlpatterns: list = []
