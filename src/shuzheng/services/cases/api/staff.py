"""API: staff (see api/__init__.py)."""

urlpatterns: list = []
