"""views_guide."""

urlpatterns: list = []
