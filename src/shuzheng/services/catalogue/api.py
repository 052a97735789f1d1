"""api."""

urlpatterns: list = []
