"""API: supervision (see api/__init__.py)."""

urlpatterns: list = []
