"""catalog pages: each views module owns its ``urlpatterns`` and is listed here."""

app_name = "datacatalog"

urlpatterns: list = []
