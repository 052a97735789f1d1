"""Pages: portal (see views/__init__.py)."""

urlpatterns: list = []
