"""API: applicant (see api/__init__.py)."""

urlpatterns: list = []
