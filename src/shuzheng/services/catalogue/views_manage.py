"""views_manage."""

urlpatterns: list = []
