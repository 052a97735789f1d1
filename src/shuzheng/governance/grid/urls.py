"""(being written)"""

app_name = "grid"
urlpatterns: list = []
