"""Pages: workbench (see views/__init__.py)."""

urlpatterns: list = []
